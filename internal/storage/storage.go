package storage

import (
	"context"
	"errors"
	"io"
	"iter"
	"time"
)

// Sentinel errors. Backends wrap them with the operation and key, e.g.
// fmt.Errorf("stat %s: %w", key, ErrNotExist).
var (
	// ErrNotExist: the object does not exist.
	ErrNotExist = errors.New("object does not exist")
	// ErrBucketNotExist: the bucket, container or base directory does not exist.
	ErrBucketNotExist = errors.New("bucket does not exist")
	// ErrAccessDenied: the credentials in use may not perform the action.
	ErrAccessDenied = errors.New("access denied")
	// ErrChanged: the object was replaced while it was being read, so the
	// rest of a stream cannot come from the version its start came from.
	ErrChanged = errors.New("object changed while being read")
	// ErrNoAnswer: the store accepted the connection but sent no answer,
	// or stopped sending, for longer than the backend's timeout. It is
	// transient, but retried fewer times than other transient errors:
	// a store that is silent for that long rarely recovers within a try.
	ErrNoAnswer = errors.New("no answer from the store")
)

// ObjectInfo is what a store reports about one object.
type ObjectInfo struct {
	Key     string
	Size    int64
	ModTime time.Time
	// Hash is the checksum the store reports, in the form Medusa records in
	// manifest.json: S3 ETag without quotes (hex MD5, or "<hex>-<parts>" for
	// multipart uploads), GCS md5Hash (base64), Azure Content-MD5 (base64) or
	// ETag, local hex MD5. Empty when the store reports none.
	Hash string
	// Version names the content of the object: every write changes it, and
	// two answers with the same Version serve the same bytes. S3: the ETag;
	// GCS: the generation; Azure: the ETag; local: inode, modification time
	// and size. Empty when the answer did not carry one.
	Version string
}

// Source is a re-readable object body: backends may read any section of it,
// concurrently and more than once. *bytes.Reader, *strings.Reader and
// *io.SectionReader satisfy it.
type Source interface {
	io.ReaderAt
	Size() int64
}

// Backend is one object store, bound to one bucket.
type Backend interface {
	// Put uploads src under key, overwriting any existing object.
	Put(ctx context.Context, key string, src Source) (ObjectInfo, error)
	// Get streams length bytes of key starting at offset; length < 0 reads
	// to the end. It also returns the description of the whole object the
	// bytes come from, taken from the store's answer to the same request
	// (Size is the object's, not the range's). The caller closes the reader.
	Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, ObjectInfo, error)
	// Stat describes key.
	Stat(ctx context.Context, key string) (ObjectInfo, error)
	// List yields the objects whose key starts with prefix, in key order.
	// Iteration stops at the first error, which is yielded last.
	List(ctx context.Context, prefix string) iter.Seq2[ObjectInfo, error]
	// Delete removes key; a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// DeleteMany removes keys in batches; missing keys are not errors.
	DeleteMany(ctx context.Context, keys []string) error
	// Close releases connections and background resources.
	Close() error
}

// transientError marks an error that is worth retrying: throttling, server
// errors, connection resets and timeouts that are not the caller's.
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// misconfiguredError marks a problem of the configuration a backend was
// given rather than of the store.
type misconfiguredError struct{ err error }

func (e *misconfiguredError) Error() string { return e.err.Error() }
func (e *misconfiguredError) Unwrap() error { return e.err }

// Misconfigured marks err as a configuration problem of the backend (a
// key_file that is missing, unsafe or unparsable): the user must fix a
// file, and retrying cannot help. It returns nil for nil.
func Misconfigured(err error) error {
	if err == nil {
		return nil
	}
	return &misconfiguredError{err: err}
}

// IsMisconfigured reports whether err, or an error it wraps, was marked
// with Misconfigured.
func IsMisconfigured(err error) bool {
	var m *misconfiguredError
	return errors.As(err, &m)
}

// Transient marks err as worth retrying. It returns nil for nil.
func Transient(err error) error {
	if err == nil {
		return nil
	}
	return &transientError{err: err}
}

// IsTransient reports whether err, or an error it wraps, was marked with
// Transient. Context cancellation and deadline errors are never transient.
func IsTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var t *transientError
	return errors.As(err, &t)
}
