package storagetest

import (
	"bytes"
	"crypto/md5"
	"io"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/storage"
)

func (s *suite) testMultipart(t *testing.T, b storage.Backend, prefix string) {
	ps := s.caps.PartSize
	if ps <= 0 {
		t.Skip("Capabilities.PartSize is 0: the backend has no multipart path")
	}
	src := Pattern{N: 2*ps + ps/2, Seed: 20}
	key := prefix + "data/ks/tbl/nb-7-big-Data.db"
	info := s.put(t, b, key, src)
	s.checkStat(t, b, info)
	checkStreamed(t, b, key, src)
	// A range across the first part boundary.
	want := make([]byte, 200)
	_, _ = src.ReadAt(want, ps-100)
	mustGet(t, b, key, ps-100, 200, want)
}

func (s *suite) testLargeStreamed(t *testing.T, b storage.Backend, prefix string) {
	if s.caps.LargeSize < 0 {
		t.Skip("Capabilities.LargeSize < 0")
	}
	pat := Pattern{N: s.caps.LargeSize, Seed: 30}
	src := &countingSource{Source: pat}
	key := prefix + "data/ks/big-5a1e0a10a1b011eea5b1f9d4c6e1a2b3/nb-42-big-Data.db"
	info := s.put(t, b, key, src)
	if m := src.maxRead.Load(); m > s.caps.MaxReadAt {
		t.Errorf("Put read %d bytes of the source in one ReadAt, more than %d: it must stream", m, s.caps.MaxReadAt)
	}
	if got := src.total.Load(); got < pat.N {
		t.Errorf("Put read %d bytes of a %d-byte source", got, pat.N)
	}
	s.checkStat(t, b, info)
	checkStreamed(t, b, key, pat)
	want := make([]byte, 1000)
	_, _ = pat.ReadAt(want, pat.N-1000)
	mustGet(t, b, key, pat.N-1000, -1, want)
}

// checkStreamed reads key whole through an MD5 (never holding it) and
// compares it with src.
func checkStreamed(t *testing.T, b storage.Backend, key string, src storage.Source) {
	t.Helper()
	rc, _, err := b.Get(t.Context(), key, 0, -1)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	defer rc.Close()
	h := md5.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		t.Fatalf("reading %q after %d bytes: %v", key, n, err)
	}
	if n != src.Size() {
		t.Fatalf("Get(%q) returned %d bytes, want %d", key, n, src.Size())
	}
	if !bytes.Equal(h.Sum(nil), md5Of(src)) {
		t.Errorf("Get(%q): content differs from what was uploaded", key)
	}
}

func (s *suite) testSSEC(t *testing.T, b storage.Backend, prefix string) {
	c := s.caps.SSEC
	if c == nil {
		t.Skip("Capabilities.SSEC is nil")
	}
	withKey := b
	if c.WithKey != nil {
		withKey = s.backend(t, c.WithKey)
	}
	key := prefix + "meta/schema.cql"
	plain := []byte("CREATE KEYSPACE secret WITH replication = {'class': 'NetworkTopologyStrategy'};")
	info, err := withKey.Put(t.Context(), key, bytes.NewReader(plain))
	if err != nil {
		t.Fatalf("Put with SSE-C: %v", err)
	}
	if info.Size != int64(len(plain)) {
		t.Errorf("Put with SSE-C reported size %d, want %d", info.Size, len(plain))
	}
	mustGet(t, withKey, key, 0, -1, plain)
	mustGet(t, withKey, key, 7, 8, plain[7:15])
	if st, err := withKey.Stat(t.Context(), key); err != nil || st.Size != int64(len(plain)) {
		t.Errorf("Stat with SSE-C = %+v, %v; want size %d", st, err, len(plain))
	}
	if c.WithoutKey == nil {
		return
	}
	noKey := s.backend(t, c.WithoutKey)
	got, _, err := get(t.Context(), noKey, key, 0, -1)
	switch {
	case err == nil && c.Enforced:
		t.Errorf("Get of an SSE-C object without the key succeeded (%d bytes); the server enforces SSE-C", len(got))
	case err == nil:
		t.Logf("server does not enforce SSE-C: read %d bytes without the key", len(got))
	case storage.IsTransient(err):
		t.Errorf("Get without the SSE-C key: error %v is marked transient; retrying cannot help", err)
	default:
		t.Logf("Get without the SSE-C key refused: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), string(plain[:16])) {
		t.Errorf("error leaks object content: %v", err)
	}
}

func (s *suite) testMissingBucket(t *testing.T, _ storage.Backend, prefix string) {
	if s.caps.MissingBucket == nil {
		t.Skip("Capabilities.MissingBucket is nil")
	}
	mb := s.backend(t, s.caps.MissingBucket)
	key := prefix + "x"
	check := func(op string, err error, also ...error) {
		t.Helper()
		if !errIsAny(err, append(also, storage.ErrBucketNotExist)...) {
			t.Errorf("%s on a missing bucket: error %v, want ErrBucketNotExist", op, err)
		}
		if storage.IsTransient(err) {
			t.Errorf("%s on a missing bucket: error %v is marked transient", op, err)
		}
	}
	_, err := mb.Put(t.Context(), key, strings.NewReader("x"))
	check("Put", err)
	_, _, err = get(t.Context(), mb, key, 0, -1)
	check("Get", err)
	// A HEAD answer has no body: S3 cannot tell a missing bucket from a
	// missing key there.
	_, err = mb.Stat(t.Context(), key)
	check("Stat", err, storage.ErrNotExist)
	var listErr error
	for _, err := range mb.List(t.Context(), prefix) {
		listErr = err
	}
	check("List", listErr)
}
