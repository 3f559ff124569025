package restore

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/medusa-go/medusa/internal/storage"
)

// expectedHasher is the optional capability of a backend (S3) that tells
// which hash a store would report for a local file with its settings
// (multipart ETags depend on the part size).
type expectedHasher interface {
	ExpectedHash(ctx context.Context, src storage.Source) (string, error)
}

// md5Digest decodes a plain MD5 written in hex (S3 single-part ETags,
// local storage) or base64 (GCS md5Hash, Azure Content-MD5); nil when s is
// neither.
func md5Digest(s string) []byte {
	s = strings.Trim(strings.TrimSpace(s), `"`)
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

// parseMultipart splits an S3 multipart ETag "<hex md5>-<parts>".
func parseMultipart(s string) (parts int, ok bool) {
	s = strings.Trim(strings.TrimSpace(s), `"`)
	h, n, found := strings.Cut(s, "-")
	if !found || len(h) != 2*md5.Size {
		return 0, false
	}
	if _, err := hex.DecodeString(h); err != nil {
		return 0, false
	}
	parts, err := strconv.Atoi(n)
	return parts, err == nil && parts > 0
}

// hashesEqual compares two store hashes: equal strings (quotes and case
// of hex ignored), or the same MD5 written in hex and base64.
func hashesEqual(a, b string) bool {
	a, b = strings.Trim(strings.TrimSpace(a), `"`), strings.Trim(strings.TrimSpace(b), `"`)
	if a == b {
		return true
	}
	if _, ok := parseMultipart(a); ok {
		return strings.EqualFold(a, b)
	}
	da, db := md5Digest(a), md5Digest(b)
	return da != nil && db != nil && string(da) == string(db)
}

// multipartETag computes the ETag of src uploaded in parts of partSize
// bytes: the MD5 of the parts' binary MD5s, then "-<parts>".
func multipartETag(ctx context.Context, src storage.Source, partSize int64) (string, error) {
	size := src.Size()
	parts := max((size+partSize-1)/partSize, 1)
	all := md5.New()
	buf := make([]byte, 1<<20)
	for i := range parts {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		off := i * partSize
		h := md5.New()
		if _, err := io.CopyBuffer(h, io.NewSectionReader(src, off, min(partSize, size-off)), buf); err != nil {
			return "", fmt.Errorf("read part %d for its MD5: %w", i+1, err)
		}
		all.Write(h.Sum(nil))
	}
	return fmt.Sprintf("%s-%d", hex.EncodeToString(all.Sum(nil)), parts), nil
}

// partSizeCandidates are the usual part sizes (boto3's 8 MiB default,
// Medusa's 50 MiB, powers of two) that split size bytes into exactly parts
// parts, most likely first.
func partSizeCandidates(size int64, parts int) []int64 {
	const mib = 1 << 20
	var out []int64
	for _, m := range []int64{50, 8, 5, 16, 32, 64, 100, 128, 256, 512, 1024} {
		p := m * mib
		if max((size+p-1)/p, 1) == int64(parts) {
			out = append(out, p)
		}
	}
	return out
}
