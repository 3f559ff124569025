package s3

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/medusa-go/medusa/internal/storage"
)

// S3 limits that shape uploads.
const (
	minPartSize      = 5 << 20
	maxPartSize      = 5 << 30
	maxParts         = 10000
	maxSinglePutSize = 5 << 30
	// fallbackChunkSize is Medusa's part size when multipart_chunksize is
	// unset (abstract_storage.py).
	fallbackChunkSize = 8 << 20
)

// partLayout says how an object of size bytes is uploaded: in one PutObject
// (multipart false) or in parts of partSize bytes, numParts of them. Objects
// of at least threshold bytes (threshold > 0) and objects too large for one
// PutObject use multipart. The part size is chunk (8 MiB when chunk <= 0)
// clamped to [5 MiB, 5 GiB] and then doubled until at most 10,000 parts are
// needed, exactly as boto3's ChunksizeAdjuster does.
func partLayout(size, threshold, chunk int64) (multipart bool, partSize int64, numParts int) {
	multipart = (threshold > 0 && size >= threshold) || size > maxSinglePutSize
	if !multipart {
		return false, size, 1
	}
	partSize = chunk
	if partSize <= 0 {
		partSize = fallbackChunkSize
	}
	partSize = min(max(partSize, minPartSize), maxPartSize)
	for ceilDiv(size, partSize) > maxParts {
		partSize *= 2
	}
	return true, partSize, int(max(ceilDiv(size, partSize), 1))
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// ExpectedETag computes, by reading src once (streaming, never whole), the
// ETag S3 gives src when it is uploaded with this multipart threshold and
// chunk size: the hex MD5 for a single PutObject, or for a multipart upload
// the hex MD5 of the concatenated binary MD5s of its parts followed by
// "-<number of parts>" (Medusa's md5_multipart, with boto3's part size
// growth past 10,000 parts). Objects stored with SSE-C or SSE-KMS get other
// ETags.
func ExpectedETag(src storage.Source, threshold, chunk int64) (string, error) {
	return expectedETag(context.Background(), src, threshold, chunk)
}

func expectedETag(ctx context.Context, src storage.Source, threshold, chunk int64) (string, error) {
	size := src.Size()
	multipart, partSize, numParts := partLayout(size, threshold, chunk)
	buf := make([]byte, 1<<20)
	if !multipart {
		sum, err := md5Section(ctx, src, 0, size, buf)
		if err != nil {
			return "", err
		}
		return hex.EncodeToString(sum), nil
	}
	all := md5.New()
	for i := range numParts {
		off := int64(i) * partSize
		sum, err := md5Section(ctx, src, off, min(partSize, size-off), buf)
		if err != nil {
			return "", err
		}
		all.Write(sum)
	}
	return fmt.Sprintf("%s-%d", hex.EncodeToString(all.Sum(nil)), numParts), nil
}

// md5Section hashes n bytes of src from off, checking ctx between reads.
func md5Section(ctx context.Context, src io.ReaderAt, off, n int64, buf []byte) ([]byte, error) {
	h := md5.New()
	r := io.NewSectionReader(src, off, n)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		k, err := r.Read(buf)
		h.Write(buf[:k])
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read bytes %d-%d for MD5: %w", off, off+n, err)
		}
	}
	return h.Sum(nil), nil
}

// ExpectedHash returns the hash a Put of src with this backend's settings
// makes Stat report, so callers (differential backups, verify) can compare
// a local file with a stored object without uploading it. For s3_rgw it is
// always the plain hex MD5: like Medusa, s3_rgw never uses the multipart
// form, so objects uploaded there in parts never match it (they are
// uploaded again when MD5 checks are on). With SSE-C or SSE-KMS, S3 ETags
// are not MD5s and will not match either.
func (b *Backend) ExpectedHash(ctx context.Context, src storage.Source) (string, error) {
	threshold := b.opts.MultipartThreshold
	if b.kind == kindRGW {
		threshold = 0
	}
	return expectedETag(ctx, src, threshold, b.opts.MultipartChunkSize)
}

// HashesMatch compares a locally computed hash with one recorded by a
// store, as Medusa does: multipart forms ("<hex>-<n>") must be equal; plain
// MD5s match when they are the same digest written in hex or base64, in
// either order. Surrounding quotes (raw ETags) are ignored.
func HashesMatch(local, remote string) bool {
	local, remote = strings.Trim(strings.TrimSpace(local), `"`), strings.Trim(strings.TrimSpace(remote), `"`)
	if local == "" || remote == "" {
		return false
	}
	if local == remote {
		return true
	}
	if strings.Contains(local, "-") || strings.Contains(remote, "-") {
		return strings.EqualFold(local, remote) && isHexETag(local)
	}
	a, b := digestBytes(local), digestBytes(remote)
	return a != nil && b != nil && string(a) == string(b)
}

// isHexETag reports whether s is "<hex>-<n>" (so a case-insensitive match
// of two of them is sound).
func isHexETag(s string) bool {
	h, _, ok := strings.Cut(s, "-")
	_, err := hex.DecodeString(h)
	return ok && err == nil
}

// digestBytes decodes an MD5 digest written in hex or base64.
func digestBytes(s string) []byte {
	if len(s) == 2*md5.Size {
		if b, err := hex.DecodeString(s); err == nil {
			return b
		}
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == md5.Size {
		return b
	}
	return nil
}
