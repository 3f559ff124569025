package backup

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

// HashExpecter is the optional capability of a backend that knows which
// hash it would report for a source (S3: the hex MD5, or the multipart
// ETag "<hex>-<parts>" for files at or above the multipart threshold).
type HashExpecter interface {
	ExpectedHash(ctx context.Context, src storage.Source) (string, error)
}

// hashFunc returns how local files are hashed for MD5 checks: Deps's
// ExpectedHash, else the capability of the backend (looking through
// decorators that expose Unwrap), else the plain hex MD5.
func hashFunc(d Deps) func(context.Context, storage.Source) (string, error) {
	if d.ExpectedHash != nil {
		return d.ExpectedHash
	}
	if h, ok := storage.As[HashExpecter](d.Storage); ok {
		return h.ExpectedHash
	}
	return md5Hex
}

// md5Hex returns the hex MD5 of src, read sequentially in 1 MiB pieces.
func md5Hex(ctx context.Context, src storage.Source) (string, error) {
	h := md5.New()
	buf := make([]byte, 1<<20)
	r := io.NewSectionReader(src, 0, src.Size())
	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		n, err := r.Read(buf)
		h.Write(buf[:n])
		if err == io.EOF {
			return hex.EncodeToString(h.Sum(nil)), nil
		}
		if err != nil {
			return "", fmt.Errorf("read for MD5: %w", err)
		}
	}
}

// hashesMatch compares a locally computed hash with the one a store
// reports, as Medusa does: multipart forms "<hex>-<parts>" must be equal
// (hex case ignored); plain MD5 digests match when equal in hex or base64
// form, in either order. Quotes around ETags are ignored; an empty hash
// matches nothing.
func hashesMatch(local, remote string) bool {
	local = strings.Trim(strings.TrimSpace(local), `"`)
	remote = strings.Trim(strings.TrimSpace(remote), `"`)
	if local == "" || remote == "" {
		return false
	}
	if local == remote {
		return true
	}
	if strings.Contains(local, "-") || strings.Contains(remote, "-") {
		return strings.EqualFold(local, remote)
	}
	a, b := digest(local), digest(remote)
	return a != nil && b != nil && string(a) == string(b)
}

// digest decodes an MD5 digest written in hex or base64 (nil otherwise).
func digest(s string) []byte {
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
