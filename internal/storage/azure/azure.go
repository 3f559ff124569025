package azure

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/medusa-go/medusa/internal/storage"
)

// Backend is a storage.Backend on one Azure Blob container.
type Backend struct {
	client *container.Client
	tr     *http.Transport
	opts   Options
	tier   *blob.AccessTier
	creds  string // credentials source, for messages
	// noBatch is set once the service refused a blob batch.
	noBatch atomic.Bool
}

var _ storage.Backend = (*Backend)(nil)

// New builds a Backend. It makes no request: a missing container or
// refused credentials show up on the first operation.
func New(opts Options) (*Backend, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	tier, err := parseTier(opts.Tier)
	if err != nil {
		return nil, err
	}
	creds, err := resolveCredentials(&opts)
	if err != nil {
		return nil, err
	}
	client, tr, err := newContainerClient(&opts, creds)
	if err != nil {
		return nil, err
	}
	opts.Key = "" // held by the credential only
	return &Backend{client: client, tr: tr, opts: opts, tier: tier, creds: creds.source}, nil
}

func (b *Backend) translate(op, key string, err error) error {
	if storage.IsNetTimeout(err) {
		return storage.NoAnswer(op+" "+key, cmp.Or(b.opts.Endpoint, "Azure Blob Storage"), b.opts.ReadTimeout, err)
	}
	return translateError(op, b.opts.Container, key, b.creds, err)
}

// Get streams length bytes of key from offset (length < 0: to the end),
// described by the download's answer: on a ranged read the blob's size
// comes from Content-Range and its MD5 from x-ms-blob-content-md5 (Hash is
// empty when the answer has neither that nor, on a whole read, Content-MD5).
func (b *Backend) Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, storage.ObjectInfo, error) {
	if offset < 0 {
		return nil, storage.ObjectInfo{}, fmt.Errorf("get %s: negative offset %d", key, offset)
	}
	if length == 0 {
		info, err := b.Stat(ctx, key)
		if err != nil {
			return nil, storage.ObjectInfo{}, err
		}
		return io.NopCloser(strings.NewReader("")), info, nil
	}
	rng := blob.HTTPRange{Offset: offset}
	if length > 0 {
		rng.Count = length
	}
	resp, err := b.client.NewBlobClient(key).DownloadStream(ctx, &blob.DownloadStreamOptions{Range: rng})
	if err != nil {
		return nil, storage.ObjectInfo{}, b.translate("get", key, err)
	}
	info, err := downloadInfo(key, resp, offset > 0 || length > 0)
	if err != nil {
		resp.Body.Close()
		return nil, storage.ObjectInfo{}, fmt.Errorf("get %s: %w", key, err)
	}
	return &body{rc: resp.Body, b: b, key: key}, info, nil
}

// downloadInfo describes the blob a download answered with.
func downloadInfo(key string, resp blob.DownloadStreamResponse, ranged bool) (storage.ObjectInfo, error) {
	if !ranged {
		return objectInfo(key, resp.ContentLength, resp.LastModified, resp.ContentMD5, resp.ETag), nil
	}
	cr := ""
	if resp.ContentRange != nil {
		cr = *resp.ContentRange
	}
	size, err := storage.ContentRangeSize(cr)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	info := objectInfo(key, &size, resp.LastModified, resp.BlobContentMD5, resp.ETag)
	if len(resp.BlobContentMD5) == 0 {
		info.Hash = "" // the blob may have an MD5 the answer does not give
	}
	return info, nil
}

// body translates the read errors of a download stream, so a broken
// connection reaches the retry decorator marked transient.
type body struct {
	rc  io.ReadCloser
	b   *Backend
	key string
}

func (r *body) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	if err != nil && err != io.EOF {
		err = r.b.translate("get", r.key, err)
	}
	return n, err
}

func (r *body) Close() error { return r.rc.Close() }

// Stat describes key.
func (b *Backend) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	p, err := b.client.NewBlobClient(key).GetProperties(ctx, nil)
	if err != nil {
		return storage.ObjectInfo{}, b.translate("stat", key, err)
	}
	return objectInfo(key, p.ContentLength, p.LastModified, p.ContentMD5, p.ETag), nil
}

// List yields the blobs under prefix in key order, skipping the folder
// placeholders of hierarchical-namespace accounts (hdi_isfolder=true).
func (b *Backend) List(ctx context.Context, prefix string) iter.Seq2[storage.ObjectInfo, error] {
	return func(yield func(storage.ObjectInfo, error) bool) {
		opts := &container.ListBlobsFlatOptions{Include: container.ListBlobsInclude{Metadata: true}}
		if prefix != "" {
			opts.Prefix = to.Ptr(prefix)
		}
		pager := b.client.NewListBlobsFlatPager(opts)
		for pager.More() {
			page, err := pager.NextPage(ctx)
			if err != nil {
				yield(storage.ObjectInfo{}, b.translate("list", prefix, err))
				return
			}
			for _, item := range page.Segment.BlobItems {
				if item.Name == nil || item.Properties == nil || isFolder(item.Metadata) {
					continue
				}
				p := item.Properties
				if !yield(objectInfo(*item.Name, p.ContentLength, p.LastModified, p.ContentMD5, p.ETag), nil) {
					return
				}
			}
		}
	}
}

// isFolder reports the hdi_isfolder=true marker of a directory blob.
func isFolder(meta map[string]*string) bool {
	for k, v := range meta {
		if strings.EqualFold(k, "hdi_isfolder") && v != nil && strings.EqualFold(*v, "true") {
			return true
		}
	}
	return false
}

// Delete removes key (and its snapshots); a missing key is not an error.
func (b *Backend) Delete(ctx context.Context, key string) error {
	_, err := b.client.NewBlobClient(key).Delete(ctx, &blob.DeleteOptions{
		DeleteSnapshots: to.Ptr(blob.DeleteSnapshotsOptionTypeInclude),
	})
	err = b.translate("delete", key, err)
	if isMissingBlob(err) {
		return nil
	}
	return err
}

// isMissingBlob: the blob is absent but the container exists.
func isMissingBlob(err error) bool {
	return err != nil && errors.Is(err, storage.ErrNotExist)
}

// Close closes the idle connections of the Backend's transport; the SDK
// client holds nothing else.
func (b *Backend) Close() error {
	b.tr.CloseIdleConnections()
	return nil
}

// objectInfo builds ObjectInfo; Hash is Content-MD5 in base64, else the
// ETag without quotes, as Medusa records it.
func objectInfo(key string, size *int64, mod *time.Time, md5 []byte, etag *azcore.ETag) storage.ObjectInfo {
	info := storage.ObjectInfo{Key: key}
	if size != nil {
		info.Size = *size
	}
	if mod != nil {
		info.ModTime = *mod
	}
	if etag != nil {
		info.Version = strings.Trim(string(*etag), `"`)
	}
	switch {
	case len(md5) > 0:
		info.Hash = base64.StdEncoding.EncodeToString(md5)
	case etag != nil:
		info.Hash = strings.Trim(string(*etag), `"`)
	}
	return info
}
