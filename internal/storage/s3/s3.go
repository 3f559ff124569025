package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/medusa-go/medusa/internal/storage"
)

// Backend is an S3 bucket. It is safe for concurrent use.
type Backend struct {
	client   *s3.Client
	creds    aws.CredentialsProvider
	http     *http.Client // nil when Options.HTTPClient was given
	opts     Options
	kind     providerKind
	bucket   string
	region   string
	endpoint string // "" for AWS
	https    bool
	sse      sse
	lockMode types.ObjectLockMode // of opts.ObjectLock
	// kmsDefault: the bucket encrypts with SSE-KMS by default, so its
	// ETags are not content MD5s even without kms_id.
	kmsDefault atomic.Bool
	log        *slog.Logger
	// sleepFn replaces the backoff sleep between part attempts (tests).
	sleepFn func(ctx context.Context, d time.Duration) error
}

var _ storage.Backend = (*Backend)(nil)

// New validates o and builds the backend. It makes no request: credentials
// are resolved on first use; Check probes the bucket.
func New(ctx context.Context, o Options) (*Backend, error) {
	o = o.withDefaults()
	if o.Bucket == "" || strings.Contains(o.Bucket, "/") {
		return nil, fmt.Errorf("bucket_name %q must be a bucket name without '/'", o.Bucket)
	}
	kind, err := parseProvider(o.Provider)
	if err != nil {
		return nil, err
	}
	region, err := ResolveRegion(o.Provider, o.Region)
	if err != nil {
		return nil, err
	}
	endpoint, err := endpointURL(kind, o.Host, o.Port, o.Secure)
	if err != nil {
		return nil, err
	}
	pathStyle, err := usePathStyle(kind, o.AddressingStyle)
	if err != nil {
		return nil, err
	}
	enc, err := newSSE(o.KMSID, o.SSECKey, o.StorageClass)
	if err != nil {
		return nil, err
	}
	var mode types.ObjectLockMode
	if o.ObjectLock != nil {
		if mode, err = lockMode(o.ObjectLock.Mode); err != nil {
			return nil, err
		}
	}
	cfg, err := loadAWSConfig(ctx, o, region)
	if err != nil {
		return nil, err
	}
	b := &Backend{opts: o, kind: kind, bucket: o.Bucket, region: region, endpoint: endpoint,
		https: kind == kindAWS || o.Secure, sse: enc, lockMode: mode, log: o.Logger, creds: cfg.Credentials}
	hc := o.HTTPClient
	if hc == nil {
		b.http = newHTTPClient(o, kind)
		hc = b.http
	}
	b.client = newClient(cfg, hc, endpoint, pathStyle)
	credsFrom := "default AWS credential chain"
	if o.KeyFile != "" {
		credsFrom = "key_file " + o.KeyFile
	}
	b.log.Debug("S3 storage", "provider", o.Provider, "bucket", o.Bucket, "region", region,
		"endpoint", b.storeName(), "path_style", pathStyle, "credentials", credsFrom,
		"sse_kms", enc.kmsID != "", "sse_c", enc.cKey != nil, "storage_class", o.StorageClass)
	return b, nil
}

// Check lists at most one key of the bucket (s3:ListBucket) so that a
// missing bucket or refused credentials show up before any work starts.
func (b *Backend) Check(ctx context.Context) error {
	_, err := b.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b.bucket, MaxKeys: aws.Int32(1)})
	return b.translate(ctx, "check", "s3:ListBucket", "", err)
}

// Stat describes key with HeadObject.
func (b *Backend) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	in := &s3.HeadObjectInput{Bucket: &b.bucket, Key: &key}
	b.sse.head(in)
	out, err := b.client.HeadObject(ctx, in)
	if err != nil {
		return storage.ObjectInfo{}, b.translate(ctx, "stat", "s3:GetObject", key, err)
	}
	return describe(key, aws.ToInt64(out.ContentLength), out.LastModified, out.ETag), nil
}

// describe builds the ObjectInfo of an answer: the ETag is both the hash
// Medusa records and the version (every write gives an object a new one,
// unless it writes the same bytes).
func describe(key string, size int64, mod *time.Time, etag *string) storage.ObjectInfo {
	tag := trimETag(etag)
	return storage.ObjectInfo{Key: key, Size: size, ModTime: aws.ToTime(mod), Hash: tag, Version: tag}
}

func trimETag(etag *string) string { return strings.Trim(aws.ToString(etag), `"`) }

// Get streams length bytes of key from offset (length < 0: to the end)
// with a ranged GetObject, described by its answer (the object's size comes
// from Content-Range on a ranged read). Read errors of the stream are
// translated too, so a connection reset mid-stream is storage.Transient.
func (b *Backend) Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, storage.ObjectInfo, error) {
	if offset < 0 {
		return nil, storage.ObjectInfo{}, fmt.Errorf("get s3://%s/%s: negative offset %d", b.bucket, key, offset)
	}
	if length == 0 {
		info, err := b.Stat(ctx, key)
		if err != nil {
			return nil, storage.ObjectInfo{}, err
		}
		return io.NopCloser(strings.NewReader("")), info, nil
	}
	in := &s3.GetObjectInput{Bucket: &b.bucket, Key: &key}
	if offset > 0 || length > 0 {
		r := fmt.Sprintf("bytes=%d-", offset)
		if length > 0 {
			r += fmt.Sprint(offset + length - 1)
		}
		in.Range = &r
	}
	b.sse.get(in)
	out, err := b.client.GetObject(ctx, in)
	if err != nil {
		if class, _ := classify(err); class == classOther && isInvalidRange(err) {
			return b.getPastEnd(ctx, key, offset, err)
		}
		return nil, storage.ObjectInfo{}, b.translate(ctx, "get", "s3:GetObject", key, err)
	}
	size := aws.ToInt64(out.ContentLength)
	if in.Range != nil {
		if size, err = storage.ContentRangeSize(aws.ToString(out.ContentRange)); err != nil {
			out.Body.Close()
			return nil, storage.ObjectInfo{}, fmt.Errorf("get s3://%s/%s: %w", b.bucket, key, err)
		}
	}
	return &body{ReadCloser: out.Body, ctx: ctx, b: b, key: key},
		describe(key, size, out.LastModified, out.ETag), nil
}

// getPastEnd answers a ranged read S3 refused (416): one starting exactly
// at the end of the object (or of an empty object) is an empty stream;
// one starting past the end stays a permanent range error.
func (b *Backend) getPastEnd(ctx context.Context, key string, offset int64, rangeErr error) (io.ReadCloser, storage.ObjectInfo, error) {
	info, err := b.Stat(ctx, key)
	if err != nil {
		return nil, storage.ObjectInfo{}, err
	}
	if offset == info.Size {
		return io.NopCloser(strings.NewReader("")), info, nil
	}
	return nil, storage.ObjectInfo{}, fmt.Errorf("get s3://%s/%s: offset %d is past the end of the %d-byte object: %w",
		b.bucket, key, offset, info.Size, rangeErr)
}

func isInvalidRange(err error) bool {
	return strings.Contains(err.Error(), "InvalidRange") || strings.Contains(err.Error(), "StatusCode: 416")
}

// body translates the read errors of a GetObject stream.
type body struct {
	io.ReadCloser
	ctx context.Context
	b   *Backend
	key string
}

func (r *body) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = r.b.translate(r.ctx, "read", "s3:GetObject", r.key, err)
	}
	return n, err
}

// List yields the objects under prefix in key order, 1,000 per request,
// skipping directory placeholders (keys ending in "/" with no data).
func (b *Backend) List(ctx context.Context, prefix string) iter.Seq2[storage.ObjectInfo, error] {
	return func(yield func(storage.ObjectInfo, error) bool) {
		in := &s3.ListObjectsV2Input{Bucket: &b.bucket, MaxKeys: aws.Int32(1000)}
		if prefix != "" {
			in.Prefix = &prefix
		}
		pages := s3.NewListObjectsV2Paginator(b.client, in)
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				yield(storage.ObjectInfo{}, b.translate(ctx, "list", "s3:ListBucket", prefix, err))
				return
			}
			for _, o := range page.Contents {
				key := aws.ToString(o.Key)
				if strings.HasSuffix(key, "/") && aws.ToInt64(o.Size) == 0 {
					continue
				}
				if !yield(describe(key, aws.ToInt64(o.Size), o.LastModified, o.ETag), nil) {
					return
				}
			}
		}
	}
}

// Delete removes key; S3 does not report missing keys.
func (b *Backend) Delete(ctx context.Context, key string) error {
	_, err := b.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b.bucket, Key: &key})
	if err != nil {
		if c, _ := classify(err); c == classNotExist {
			return nil
		}
		return b.translate(ctx, "delete", "s3:DeleteObject", key, err)
	}
	return nil
}

// deleteBatch is the most keys one DeleteObjects request takes.
const deleteBatch = 1000

// DeleteMany removes keys with DeleteObjects, 1,000 per request (quiet
// mode: only failures are reported). Missing keys are not errors; other
// per-key failures are translated and joined.
func (b *Backend) DeleteMany(ctx context.Context, keys []string) error {
	for start := 0; start < len(keys); start += deleteBatch {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch := keys[start:min(start+deleteBatch, len(keys))]
		objs := make([]types.ObjectIdentifier, len(batch))
		for i := range batch {
			objs[i] = types.ObjectIdentifier{Key: &batch[i]}
		}
		out, err := b.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &b.bucket,
			Delete: &types.Delete{Objects: objs, Quiet: aws.Bool(true)}})
		if err != nil {
			return b.translate(ctx, "delete", "s3:DeleteObject", fmt.Sprintf("%s (and %d more keys)", batch[0], len(batch)-1), err)
		}
		if err := b.deleteErrors(ctx, out.Errors); err != nil {
			return err
		}
	}
	return nil
}

// deleteErrors turns the failed keys of a DeleteObjects response into one
// error (the first 10 spelled out), transient only if every failure is.
func (b *Backend) deleteErrors(ctx context.Context, failed []types.Error) error {
	var errs []error
	transient, n := true, 0
	for _, e := range failed {
		if aws.ToString(e.Code) == "NoSuchKey" {
			continue
		}
		n++
		te := b.translate(ctx, "delete", "s3:DeleteObject", aws.ToString(e.Key),
			&keyError{code: aws.ToString(e.Code), msg: aws.ToString(e.Message)})
		if storage.IsTransient(te) {
			te = errors.Unwrap(te)
		} else {
			transient = false
		}
		if len(errs) < 10 {
			errs = append(errs, te)
		}
	}
	if n == 0 {
		return nil
	}
	if n > len(errs) {
		errs = append(errs, fmt.Errorf("and %d more keys failed to delete", n-len(errs)))
	}
	err := errors.Join(errs...)
	if transient {
		return storage.Transient(err)
	}
	return err
}

// keyError is one failed key of a DeleteObjects response, as a smithy.APIError.
type keyError struct{ code, msg string }

func (e *keyError) Error() string                 { return "api error " + e.code + ": " + e.msg }
func (e *keyError) ErrorCode() string             { return e.code }
func (e *keyError) ErrorMessage() string          { return e.msg }
func (e *keyError) ErrorFault() smithy.ErrorFault { return smithy.FaultUnknown }

// Close releases idle connections.
func (b *Backend) Close() error {
	if b.http != nil {
		b.http.CloseIdleConnections()
	}
	return nil
}
