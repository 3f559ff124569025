package storagetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/storage"
)

// Capabilities describes what the backend under test and its server can do.
// The zero value runs every subtest that needs no optional capability.
type Capabilities struct {
	// ExpectedHash returns the Hash the store must report for an object
	// uploaded from src (e.g. HexMD5, Base64MD5, or the S3 multipart ETag
	// for the backend's part size). Nil: the hash is not compared with a
	// locally computed one.
	ExpectedHash func(src storage.Source) string
	// StatWithoutHash: Stat and List may report an empty Hash; only Put
	// reports one (the local backend hashes while writing and nowhere else,
	// as Medusa does). When false, Stat and List report Put's hash.
	StatWithoutHash bool

	// GetHash: Get of a whole object reports the Hash Stat does (the store's
	// answer to a download carries it). When false, Get may report none.
	GetHash bool
	// Resume wraps a backend in the decorator that resumes broken Get
	// streams (retry.New with short delays): the ResumePinned subtest reads
	// through it. Nil skips that subtest.
	Resume func(storage.Backend) storage.Backend

	// PartSize is the part size the backend was configured with for
	// multipart uploads; objects of 2.5 parts are then uploaded to check
	// the multipart path. 0 skips the multipart subtest.
	PartSize int64
	// PendingUploads counts the multipart uploads still open in the
	// bucket (S3: ListMultipartUploads). After a cancelled Put it must be
	// 0. Nil skips that check.
	PendingUploads func(ctx context.Context) (int, error)

	// SSEC describes server-side encryption with customer keys. Nil skips
	// the SSE-C subtest.
	SSEC *SSEC

	// MissingBucket returns a backend bound to a bucket that does not
	// exist. Nil skips the missing-bucket subtest.
	MissingBucket func(t *testing.T) storage.Backend

	// LargeSize is the size of the object streamed from a Pattern in the
	// large-object subtest; 0 means 64 MiB, < 0 skips the subtest.
	LargeSize int64
	// MaxReadAt is the largest single ReadAt a backend may make on the
	// Source of a large object (it must stream, not load the object);
	// 0 means max(16 MiB, PartSize).
	MaxReadAt int64
	// ManyKeys is the number of keys of the pagination subtest; 0 means
	// 1,200. It must be above 1,000, the usual page size.
	ManyKeys int
	// Workers is the number of concurrent Puts used to create many keys;
	// 0 means 16.
	Workers int
	// ModTimeSlack is how far a reported ModTime may be from the local
	// clock around the Put; 0 means 1 minute (server clocks are coarse).
	ModTimeSlack time.Duration
}

// SSEC describes a backend that encrypts with a customer-provided key.
type SSEC struct {
	// WithKey returns a backend that uses a customer key on the bucket of
	// the backend under test. Nil: the backend under test uses one.
	WithKey func(t *testing.T) storage.Backend
	// WithoutKey returns a backend on the same bucket without the key.
	WithoutKey func(t *testing.T) storage.Backend
	// Enforced: the server refuses to serve an SSE-C object without the
	// key. When false, the refusal is only logged.
	Enforced bool
}

func (c Capabilities) withDefaults() Capabilities {
	if c.LargeSize == 0 {
		c.LargeSize = 64 << 20
	}
	if c.MaxReadAt == 0 {
		c.MaxReadAt = max(16<<20, c.PartSize)
	}
	if c.ManyKeys == 0 {
		c.ManyKeys = 1200
	}
	if c.Workers <= 0 {
		c.Workers = 16
	}
	if c.ModTimeSlack == 0 {
		c.ModTimeSlack = time.Minute
	}
	return c
}

// suite is the state shared by the subtests of one Run.
type suite struct {
	newBackend func(t *testing.T) storage.Backend
	caps       Capabilities
	root       string // random key prefix of this Run, ends with '/'
}

// Run runs the conformance suite. newBackend returns a backend bound to
// the bucket under test; it is called once per subtest (it may return
// backends sharing one server and bucket) and Run closes what it returns
// when the subtest ends. Keys live under a random prefix and are deleted
// at the end of each subtest.
func Run(t *testing.T, newBackend func(t *testing.T) storage.Backend, caps Capabilities) {
	t.Helper()
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		t.Fatal(err)
	}
	s := &suite{newBackend: newBackend, caps: caps.withDefaults(),
		root: "storagetest-" + hex.EncodeToString(rnd[:]) + "/"}
	tests := []struct {
		name string
		fn   func(t *testing.T, b storage.Backend, prefix string)
	}{
		{"RoundTrip", s.testRoundTrip},
		{"Overwrite", s.testOverwrite},
		{"EmptyObject", s.testEmptyObject},
		{"RangeReads", s.testRangeReads},
		{"GetDescribes", s.testGetDescribes},
		{"ResumePinned", s.testResumePinned},
		{"NotFound", s.testNotFound},
		{"DeleteMissing", s.testDeleteMissing},
		{"MedusaKeys", s.testMedusaKeys},
		{"ListPrefix", s.testListPrefix},
		{"ListManyAndDeleteMany", s.testListManyAndDeleteMany},
		{"CancelledContext", s.testCancelledContext},
		{"CancelMidUpload", s.testCancelMidUpload},
		{"Multipart", s.testMultipart},
		{"LargeStreamed", s.testLargeStreamed},
		{"SSEC", s.testSSEC},
		{"MissingBucket", s.testMissingBucket},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := s.backend(t, s.newBackend)
			prefix := s.root + tc.name + "/"
			t.Cleanup(func() { cleanPrefix(t, b, prefix) })
			tc.fn(t, b, prefix)
		})
	}
}

// backend builds a backend with mk and closes it when t ends.
func (s *suite) backend(t *testing.T, mk func(t *testing.T) storage.Backend) storage.Backend {
	t.Helper()
	b := mk(t)
	if b == nil {
		t.Fatal("newBackend returned nil")
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b
}

// cleanPrefix deletes every object under prefix; failures are logged, not
// fatal, since the subtest already reported what matters.
func cleanPrefix(t *testing.T, b storage.Backend, prefix string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), 2*time.Minute)
	defer cancel()
	var keys []string
	for info, err := range b.List(ctx, prefix) {
		if err != nil {
			t.Logf("cleanup: list %s: %v", prefix, err)
			break
		}
		keys = append(keys, info.Key)
	}
	if len(keys) == 0 {
		return
	}
	if err := b.DeleteMany(ctx, keys); err != nil {
		t.Logf("cleanup: delete %d keys under %s: %v", len(keys), prefix, err)
	}
}

// errIsAny reports whether err matches one of targets.
func errIsAny(err error, targets ...error) bool {
	for _, target := range targets {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}
