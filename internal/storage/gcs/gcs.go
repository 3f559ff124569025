package gcs

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"strconv"
	"strings"

	gcs "cloud.google.com/go/storage"
	"golang.org/x/sync/errgroup"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"

	"github.com/medusa-go/medusa/internal/storage"
)

// Backend is a storage.Backend on one GCS bucket.
type Backend struct {
	client *gcs.Client
	bucket *gcs.BucketHandle
	opts   Options
	creds  string // credentials source, for messages
}

var _ storage.Backend = (*Backend)(nil)

// New builds a Backend. It makes no request: a missing bucket or refused
// credentials show up on the first operation.
func New(ctx context.Context, opts Options) (*Backend, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	if opts.KeyFile != "" {
		p, err := expandHome(opts.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("gcs: key_file: %w", err)
		}
		opts.KeyFile = p
	}
	client, err := newClient(ctx, &opts)
	if err != nil {
		return nil, err
	}
	return &Backend{client: client, bucket: client.Bucket(opts.Bucket), opts: opts, creds: credSource(&opts)}, nil
}

func (b *Backend) translate(op, key string, err error) error {
	if storage.IsNetTimeout(err) {
		return storage.NoAnswer(op+" "+key, cmp.Or(b.opts.Endpoint, "Google Cloud Storage"), b.opts.ReadTimeout, err)
	}
	return translateError(op, b.opts.Bucket, key, b.creds, err)
}

// Put uploads src with a resumable upload in chunks of Options.ChunkSize.
// On any failure the upload is cancelled before Close, so GCS never
// finalises the object.
func (b *Backend) Put(ctx context.Context, key string, src storage.Source) (storage.ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	obj := b.bucket.Object(key).Retryer(gcs.WithPolicy(gcs.RetryAlways), gcs.WithMaxAttempts(uploadAttempts))
	w := obj.NewWriter(wctx)
	w.ChunkSize = chunkSizeFor(src.Size(), b.opts.ChunkSize)
	w.ContentType = "application/octet-stream"
	_, err := io.Copy(w, io.NewSectionReader(src, 0, src.Size()))
	if err != nil {
		cancel()
		_ = w.Close()
	} else {
		err = w.Close()
	}
	if err != nil {
		return storage.ObjectInfo{}, b.putError(ctx, key, err)
	}
	return objectInfo(w.Attrs()), nil
}

// putError translates an upload error: a cancelled context wins over what
// the SDK made of it, and a 404 can only mean the bucket is missing.
func (b *Backend) putError(ctx context.Context, key string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("put %s: %w", key, ctxErr)
	}
	var apiErr *googleapi.Error
	if errors.As(err, &apiErr) && apiErr.Code == http.StatusNotFound {
		return fmt.Errorf("put %s: gcs bucket %q: %w", key, b.opts.Bucket, storage.ErrBucketNotExist)
	}
	return b.translate("put", key, err)
}

// Get streams length bytes of key from offset (length < 0: to the end),
// described by the reader's attributes: size, update time and generation.
// They carry no MD5, so Hash is empty (Stat reports it).
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
	if length < 0 {
		length = -1
	}
	r, err := b.bucket.Object(key).NewRangeReader(ctx, offset, length)
	var apiErr *googleapi.Error
	if errors.As(err, &apiErr) && apiErr.Code == http.StatusRequestedRangeNotSatisfiable {
		return b.getPastEnd(ctx, key, offset, err)
	}
	if err != nil {
		err = b.translate("get", key, err)
		if errors.Is(err, storage.ErrNotExist) {
			err = b.checkBucket(ctx, key, err)
		}
		return nil, storage.ObjectInfo{}, err
	}
	a := r.Attrs
	info := storage.ObjectInfo{Key: key, Size: a.Size, ModTime: a.LastModified, Version: generation(a.Generation)}
	return &body{rc: r, b: b, key: key}, info, nil
}

// getPastEnd answers a read GCS refused (416): one starting exactly at the
// end of the object is an empty stream; one starting past the end stays a
// permanent range error.
func (b *Backend) getPastEnd(ctx context.Context, key string, offset int64, rangeErr error) (io.ReadCloser, storage.ObjectInfo, error) {
	info, err := b.Stat(ctx, key)
	if err != nil {
		return nil, storage.ObjectInfo{}, err
	}
	if offset == info.Size {
		return io.NopCloser(strings.NewReader("")), info, nil
	}
	return nil, storage.ObjectInfo{}, fmt.Errorf("get %s: offset %d is past the end of the %d-byte object: %w",
		key, offset, info.Size, rangeErr)
}

// generation is the Version of an object of that generation.
func generation(g int64) string { return strconv.FormatInt(g, 10) }

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

// checkBucket turns notFound into ErrBucketNotExist when the bucket is
// missing: a download's 404 does not say which one is. Only not-found
// paths pay for the extra request.
func (b *Backend) checkBucket(ctx context.Context, key string, notFound error) error {
	_, err := b.bucket.Attrs(ctx)
	if errors.Is(err, gcs.ErrBucketNotExist) {
		return fmt.Errorf("get %s: gcs bucket %q: %w", key, b.opts.Bucket, storage.ErrBucketNotExist)
	}
	return notFound
}

// Stat describes key.
func (b *Backend) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	attrs, err := b.bucket.Object(key).Attrs(ctx)
	if err != nil {
		return storage.ObjectInfo{}, b.translate("stat", key, err)
	}
	return objectInfo(attrs), nil
}

// List yields the objects under prefix in key order, skipping "folder"
// placeholders (names ending in '/').
func (b *Backend) List(ctx context.Context, prefix string) iter.Seq2[storage.ObjectInfo, error] {
	return func(yield func(storage.ObjectInfo, error) bool) {
		q := &gcs.Query{Prefix: prefix}
		if err := q.SetAttrSelection([]string{"Name", "Size", "Updated", "MD5", "Generation"}); err != nil {
			yield(storage.ObjectInfo{}, fmt.Errorf("list %s: %w", prefix, err))
			return
		}
		it := b.bucket.Objects(ctx, q)
		for {
			attrs, err := it.Next()
			if errors.Is(err, iterator.Done) {
				return
			}
			if err != nil {
				yield(storage.ObjectInfo{}, b.translate("list", prefix, err))
				return
			}
			if strings.HasSuffix(attrs.Name, "/") {
				continue
			}
			if !yield(objectInfo(attrs), nil) {
				return
			}
		}
	}
}

// Delete removes key; a missing key is not an error.
func (b *Backend) Delete(ctx context.Context, key string) error {
	err := b.bucket.Object(key).Delete(ctx)
	if errors.Is(err, gcs.ErrObjectNotExist) && !mentionsBucket(err) {
		return nil
	}
	return b.translate("delete", key, err)
}

// DeleteMany deletes keys with up to Options.Concurrency requests in
// flight (the Go SDK has no batch API). The first error stops the rest.
func (b *Backend) DeleteMany(ctx context.Context, keys []string) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(b.opts.Concurrency)
	for _, key := range keys {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error { return b.Delete(gctx, key) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete many: %w", err)
	}
	return nil
}

// Close releases the client's connections.
func (b *Backend) Close() error {
	return b.client.Close()
}

// objectInfo converts SDK attributes; Hash is md5Hash in base64, as
// Medusa records it.
func objectInfo(a *gcs.ObjectAttrs) storage.ObjectInfo {
	info := storage.ObjectInfo{Key: a.Name, Size: a.Size, ModTime: a.Updated, Version: generation(a.Generation)}
	if len(a.MD5) > 0 {
		info.Hash = base64.StdEncoding.EncodeToString(a.MD5)
	}
	return info
}
