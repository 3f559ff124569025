package s3

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"golang.org/x/sync/errgroup"

	"github.com/medusa-go/medusa/internal/clock"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/checksum"
)

// abortTimeout bounds the cleanup of a failed multipart upload, which runs
// on a fresh context so that the caller's cancellation cannot prevent it.
const abortTimeout = 30 * time.Second

// Put uploads src under key: one PutObject below MultipartThreshold, else a
// multipart upload streamed from src. It returns what the store
// acknowledged: the size sent (the store refuses a body shorter or longer
// than its Content-Length), the ETag of the PutObject or
// CompleteMultipartUpload answer, and the server's Date of the request
// that created the object (S3 dates a multipart object from its
// initiation). That is what HeadObject reports afterwards; a store that
// answers without an ETag is asked with HeadObject. Python Medusa sent a
// HeadObject after every upload: one round trip per file, 5% of a backup
// of many small files with one file in flight.
func (b *Backend) Put(ctx context.Context, key string, src storage.Source) (storage.ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("put s3://%s/%s: %w", b.bucket, key, err)
	}
	size := src.Size()
	multipart, partSize, numParts := checksum.PartLayout(size, b.opts.MultipartThreshold, b.opts.MultipartChunkSize)
	var a ack
	var err error
	if multipart {
		a, err = b.putMultipart(ctx, key, src, partSize, numParts)
	} else {
		a, err = b.putSingle(ctx, key, src)
	}
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	if a.etag != "" {
		return storage.ObjectInfo{Key: key, Size: size, ModTime: a.date, Hash: a.etag, Version: a.etag}, nil
	}
	// The object is complete: describe it even if ctx ends now.
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	return b.Stat(hctx, key)
}

// ack is what a store's answer to a write says of the object written.
type ack struct {
	etag string    // without quotes; "" when the answer had none
	date time.Time // the answer's Date header, else the local time
}

// answerDate is the Date header of an answer's HTTP response, else the
// local time.
func answerDate(md middleware.Metadata) time.Time {
	if raw, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok && raw != nil && raw.Response != nil {
		if d, err := http.ParseTime(raw.Header.Get("Date")); err == nil {
			return d.UTC()
		}
	}
	return time.Now().UTC().Truncate(time.Second)
}

// payload makes requests over TLS send an unsigned payload, as boto3 and
// the SDK's transfer manager do, instead of reading every body twice to
// sign its SHA-256. Plain-HTTP endpoints keep the signed payload.
func (b *Backend) payload() []func(*s3.Options) {
	if !b.https {
		return nil
	}
	return []func(*s3.Options){s3.WithAPIOptions(v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)}
}

func (b *Backend) putSingle(ctx context.Context, key string, src storage.Source) (ack, error) {
	in := &s3.PutObjectInput{Bucket: &b.bucket, Key: &key,
		Body: io.NewSectionReader(src, 0, src.Size()), ContentLength: aws.Int64(src.Size())}
	b.sse.put(in)
	b.lockPut(in)
	out, err := b.client.PutObject(ctx, in, b.payload()...)
	if err != nil {
		return ack{}, b.translate(ctx, "put", "s3:PutObject", key, err)
	}
	b.sawEncryption(out.ServerSideEncryption)
	return ack{etag: trimETag(out.ETag), date: answerDate(out.ResultMetadata)}, nil
}

// putMultipart creates a multipart upload, sends the parts (each read from
// its own section of src, no buffering) with MultipartConcurrency in
// flight, and completes it; on any failure, cancellation included, it
// aborts the upload so no parts are left behind.
func (b *Backend) putMultipart(ctx context.Context, key string, src storage.Source, partSize int64, numParts int) (ack, error) {
	create := &s3.CreateMultipartUploadInput{Bucket: &b.bucket, Key: &key}
	b.sse.create(create)
	b.lockCreate(create)
	out, err := b.client.CreateMultipartUpload(ctx, create)
	if err != nil {
		return ack{}, b.translate(ctx, "create multipart upload for", "s3:PutObject", key, err)
	}
	created := answerDate(out.ResultMetadata) // S3 dates a multipart object from its initiation
	uploadID := aws.ToString(out.UploadId)
	parts, err := b.uploadParts(ctx, key, uploadID, src, partSize, numParts)
	var a ack
	if err == nil {
		complete := &s3.CompleteMultipartUploadInput{Bucket: &b.bucket, Key: &key, UploadId: &uploadID,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}
		b.sse.complete(complete)
		var done *s3.CompleteMultipartUploadOutput
		done, err = b.client.CompleteMultipartUpload(ctx, complete)
		err = b.translate(ctx, "complete multipart upload of", "s3:PutObject", key, err)
		if err == nil {
			a = ack{etag: trimETag(done.ETag), date: created}
			b.sawEncryption(done.ServerSideEncryption)
		}
	}
	if err != nil {
		b.abort(ctx, key, uploadID)
		return ack{}, err
	}
	return a, nil
}

func (b *Backend) uploadParts(ctx context.Context, key, uploadID string, src storage.Source, partSize int64, numParts int) ([]types.CompletedPart, error) {
	parts := make([]types.CompletedPart, numParts)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(b.opts.MultipartConcurrency)
	size := src.Size()
	for i := range numParts {
		if gctx.Err() != nil {
			break // no part starts after a failure or cancellation
		}
		g.Go(func() error {
			off := int64(i) * partSize
			etag, err := b.uploadPart(gctx, key, uploadID, src, i+1, numParts, off, min(partSize, size-off))
			parts[i] = types.CompletedPart{ETag: etag, PartNumber: aws.Int32(int32(i + 1))}
			return err
		})
	}
	err := g.Wait()
	if err == nil && ctx.Err() != nil {
		err = fmt.Errorf("put s3://%s/%s: %w", b.bucket, key, ctx.Err())
	}
	return parts, err
}

// uploadPart sends one part, retrying transient failures up to
// PartAttempts times; every attempt reads its section of src afresh.
func (b *Backend) uploadPart(ctx context.Context, key, uploadID string, src storage.Source, num, total int, off, n int64) (*string, error) {
	op := fmt.Sprintf("upload part %d/%d of", num, total)
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s s3://%s/%s: %w", op, b.bucket, key, err)
		}
		in := &s3.UploadPartInput{Bucket: &b.bucket, Key: &key, UploadId: &uploadID,
			PartNumber: aws.Int32(int32(num)), Body: io.NewSectionReader(src, off, n), ContentLength: aws.Int64(n)}
		b.sse.part(in)
		out, err := b.client.UploadPart(ctx, in, b.payload()...)
		if err == nil {
			return out.ETag, nil
		}
		err = b.translate(ctx, op, "s3:PutObject", key, err)
		if !storage.IsTransient(err) || attempt >= partTries(b.opts.PartAttempts, err) {
			return nil, err
		}
		b.log.Warn("retrying S3 part upload", "key", key, "part", num, "attempt", attempt, "error", err)
		if err := b.sleep(ctx, partBackoff(attempt)); err != nil {
			return nil, fmt.Errorf("%s s3://%s/%s: %w", op, b.bucket, key, err)
		}
	}
}

// partBackoff is 0.5 s, 1 s, 2 s, ... (capped at 8 s) with full jitter.
func partBackoff(attempt int) time.Duration {
	d := min(500*time.Millisecond<<(attempt-1), 8*time.Second)
	return time.Duration(rand.Int64N(int64(d)) + 1)
}

// sleep waits d or until ctx ends; tests replace it through sleepFn.
func (b *Backend) sleep(ctx context.Context, d time.Duration) error {
	if b.sleepFn != nil {
		return b.sleepFn(ctx, d)
	}
	return clock.Sleep(ctx, d)
}

// abort removes a failed multipart upload on a fresh context, trying
// three times; a failure is logged (the parts stay until a lifecycle rule
// or a later abort removes them).
func (b *Backend) abort(ctx context.Context, key, uploadID string) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		_, err = b.client.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{Bucket: &b.bucket, Key: &key, UploadId: &uploadID})
		if err == nil {
			return
		}
		err = b.translate(actx, "abort multipart upload of", "s3:AbortMultipartUpload", key, err)
		if !storage.IsTransient(err) || b.sleep(actx, partBackoff(attempt)) != nil {
			break
		}
	}
	b.log.Warn("could not abort a failed multipart upload; its parts stay in the bucket until aborted",
		"key", key, "upload_id", uploadID, "error", err)
}

// PendingUploads counts the multipart uploads in progress under prefix
// (ListMultipartUploads, s3:ListBucketMultipartUploads). Tests use it to
// prove failed uploads leave nothing behind.
func (b *Backend) PendingUploads(ctx context.Context, prefix string) (int, error) {
	in := &s3.ListMultipartUploadsInput{Bucket: &b.bucket}
	if prefix != "" {
		in.Prefix = &prefix
	}
	n := 0
	for {
		out, err := b.client.ListMultipartUploads(ctx, in)
		if err != nil {
			return 0, b.translate(ctx, "list multipart uploads in", "s3:ListBucketMultipartUploads", prefix, err)
		}
		n += len(out.Uploads)
		if !aws.ToBool(out.IsTruncated) {
			return n, nil
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
}
