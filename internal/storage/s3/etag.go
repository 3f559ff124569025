package s3

import (
	"context"

	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/checksum"
)

// ExpectedHash implements checksum.Expecter: the hash a Put of src with
// this backend's settings makes Stat report, so callers (differential
// backups, verify, restore) can compare a local file with a stored object
// without uploading it. For s3_rgw it is always the plain hex MD5: like
// Medusa, s3_rgw never uses the multipart form, so objects uploaded there
// in parts never match it (they are uploaded again when MD5 checks are
// on). With SSE-C or SSE-KMS, S3 ETags are not MD5s and will not match
// either.
func (b *Backend) ExpectedHash(ctx context.Context, src storage.Source) (string, error) {
	threshold := b.opts.MultipartThreshold
	if b.kind == kindRGW {
		threshold = 0
	}
	return checksum.ExpectedETag(ctx, src, threshold, b.opts.MultipartChunkSize)
}

// HashesAreContent implements checksum.ContentReporter: with SSE-KMS or
// SSE-C, ETags are not MD5s of the content.
func (b *Backend) HashesAreContent() bool {
	return b.sse.kmsID == "" && b.sse.cKey == nil
}
