package checksum

import (
	"context"

	"github.com/medusa-go/medusa/internal/storage"
)

// Expecter is the optional capability of a backend that knows which hash
// it would report for src once stored with its settings (S3: the hex MD5,
// or the multipart ETag for files at or above the multipart threshold).
// Decorators expose it through storage.Unwrapper.
type Expecter interface {
	ExpectedHash(ctx context.Context, src storage.Source) (string, error)
}

// ExpecterOf returns b's Expecter, looking through decorators.
func ExpecterOf(b storage.Backend) (Expecter, bool) {
	return storage.As[Expecter](b)
}

// ExpectedFunc returns how to hash local files for comparison with what b
// stores: b's ExpectedHash when it has one, else the hex MD5 (which equals
// GCS's and Azure's base64 MD5s and local storage's hex MD5).
func ExpectedFunc(b storage.Backend) func(context.Context, storage.Source) (string, error) {
	if e, ok := ExpecterOf(b); ok {
		return e.ExpectedHash
	}
	return MD5Hex
}

// ContentReporter is the optional capability of a backend that can tell
// whether the hashes it reports are computed from the content: false for
// S3 with SSE-KMS or SSE-C, whose ETags are no MD5s.
type ContentReporter interface {
	HashesAreContent() bool
}

// HashesAreContent reports whether b's hashes (MD5 or multipart form) are
// computed from the content; true unless b says otherwise.
func HashesAreContent(b storage.Backend) bool {
	r, ok := storage.As[ContentReporter](b)
	return !ok || r.HashesAreContent()
}

// PartSizer is the optional capability of a backend that uploads large
// objects in parts: the part size it uses for an object of size bytes, 0
// when it stores it in one piece.
type PartSizer interface {
	PartSize(size int64) int64
}

// PartSizeOf returns the part size b uses for size bytes (0: one piece, or
// b does not say).
func PartSizeOf(b storage.Backend, size int64) int64 {
	if p, ok := storage.As[PartSizer](b); ok {
		return p.PartSize(size)
	}
	return 0
}
