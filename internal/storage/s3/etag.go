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
	return checksum.ExpectedETag(ctx, src, b.hashThreshold(), b.opts.MultipartChunkSize)
}

// PartSize implements checksum.PartSizer: the part size Put uploads size
// bytes with, 0 for one PutObject.
func (b *Backend) PartSize(size int64) int64 {
	multipart, partSize, _ := checksum.PartLayout(size, b.opts.MultipartThreshold, b.opts.MultipartChunkSize)
	if !multipart {
		return 0
	}
	return partSize
}

// hashThreshold is the multipart threshold of the hashes this backend
// reports: none for s3_rgw (see ExpectedHash).
func (b *Backend) hashThreshold() int64 {
	if b.kind == kindRGW {
		return 0
	}
	return b.opts.MultipartThreshold
}

// HashesAreContent implements checksum.ContentReporter: with SSE-KMS or
// SSE-C, ETags are not MD5s of the content. That holds for SSE-KMS as the
// bucket's default encryption too (no kms_id), once ProbeDefaultEncryption
// or an upload's answer has shown it.
func (b *Backend) HashesAreContent() bool {
	return b.sse.kmsID == "" && b.sse.cKey == nil && !b.kmsDefault.Load()
}
