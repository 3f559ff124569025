package storagetest

import (
	"bytes"
	"context"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/storage"
)

// put uploads src under key and checks what Put reports: key, size,
// modification time and hash. It returns the reported info.
func (s *suite) put(t *testing.T, b storage.Backend, key string, src storage.Source) storage.ObjectInfo {
	t.Helper()
	before := time.Now()
	info, err := b.Put(t.Context(), key, src)
	if err != nil {
		t.Fatalf("Put(%q, %d bytes): %v", key, src.Size(), err)
	}
	after := time.Now()
	if info.Key != key {
		t.Errorf("Put(%q) reported key %q", key, info.Key)
	}
	if info.Size != src.Size() {
		t.Errorf("Put(%q) reported size %d, want %d", key, info.Size, src.Size())
	}
	s.checkModTime(t, "Put", key, info.ModTime, before, after)
	if s.caps.ExpectedHash != nil {
		if want := s.caps.ExpectedHash(src); info.Hash != want {
			t.Errorf("Put(%q) reported hash %q, want %q", key, info.Hash, want)
		}
	}
	return info
}

func (s *suite) checkModTime(t *testing.T, op, key string, got, before, after time.Time) {
	t.Helper()
	slack := s.caps.ModTimeSlack
	if got.Before(before.Add(-slack)) || got.After(after.Add(slack)) {
		t.Errorf("%s(%q) modtime %v, want within %v of [%v, %v]", op, key, got, slack, before, after)
	}
}

// checkStat compares Stat's answer with what Put reported.
func (s *suite) checkStat(t *testing.T, b storage.Backend, put storage.ObjectInfo) {
	t.Helper()
	info, err := b.Stat(t.Context(), put.Key)
	if err != nil {
		t.Fatalf("Stat(%q): %v", put.Key, err)
	}
	s.compareInfo(t, "Stat", put, info)
}

// compareInfo checks an ObjectInfo from Stat or List against Put's.
func (s *suite) compareInfo(t *testing.T, op string, put, got storage.ObjectInfo) {
	t.Helper()
	if got.Key != put.Key || got.Size != put.Size {
		t.Errorf("%s: got key %q size %d, want key %q size %d", op, got.Key, got.Size, put.Key, put.Size)
	}
	if d := got.ModTime.Sub(put.ModTime).Abs(); d > s.caps.ModTimeSlack {
		t.Errorf("%s(%q): modtime %v differs from Put's %v by %v", op, put.Key, got.ModTime, put.ModTime, d)
	}
	if got.Hash != put.Hash && !(s.caps.StatWithoutHash && got.Hash == "") {
		t.Errorf("%s(%q): hash %q, Put reported %q", op, put.Key, got.Hash, put.Hash)
	}
}

// get reads length bytes of key from offset and closes the stream. It
// returns what Get said of the object too.
func get(ctx context.Context, b storage.Backend, key string, offset, length int64) ([]byte, storage.ObjectInfo, error) {
	rc, info, err := b.Get(ctx, key, offset, length)
	if err != nil {
		return nil, storage.ObjectInfo{}, err
	}
	data, err := io.ReadAll(rc)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	return data, info, err
}

// mustGet is get that fails the test on error and compares with want. It
// checks that Get described the object it read: its key, a size that holds
// the range, and a version.
func mustGet(t *testing.T, b storage.Backend, key string, offset, length int64, want []byte) storage.ObjectInfo {
	t.Helper()
	got, info, err := get(t.Context(), b, key, offset, length)
	if err != nil {
		t.Fatalf("Get(%q, %d, %d): %v", key, offset, length, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Get(%q, %d, %d): got %d bytes %s, want %d bytes %s", key, offset, length,
			len(got), abbrev(got), len(want), abbrev(want))
	}
	if info.Key != key || info.Size < offset+int64(len(want)) || info.Version == "" {
		t.Errorf("Get(%q, %d, %d) described the object as %+v: want its key, a size of at least %d and a version",
			key, offset, length, info, offset+int64(len(want)))
	}
	return info
}

func abbrev(b []byte) string {
	if len(b) > 16 {
		return string(b[:16]) + "..."
	}
	return string(b)
}

// list collects List(prefix), failing the test on error and checking that
// keys are in strictly ascending order and carry the prefix.
func list(t *testing.T, b storage.Backend, prefix string) []storage.ObjectInfo {
	t.Helper()
	var out []storage.ObjectInfo
	for info, err := range b.List(t.Context(), prefix) {
		if err != nil {
			t.Fatalf("List(%q) after %d objects: %v", prefix, len(out), err)
		}
		out = append(out, info)
	}
	for i, info := range out {
		if len(info.Key) < len(prefix) || info.Key[:len(prefix)] != prefix {
			t.Errorf("List(%q) yielded %q outside the prefix", prefix, info.Key)
		}
		if i > 0 && out[i-1].Key >= info.Key {
			t.Errorf("List(%q) out of order: %q then %q", prefix, out[i-1].Key, info.Key)
		}
	}
	return out
}

func keysOf(infos []storage.ObjectInfo) []string {
	keys := make([]string, len(infos))
	for i, info := range infos {
		keys[i] = info.Key
	}
	return keys
}

// sortedKeys returns keys with prefix prepended, in byte order.
func sortedKeys(prefix string, names ...string) []string {
	keys := make([]string, len(names))
	for i, n := range names {
		keys[i] = prefix + n
	}
	slices.Sort(keys)
	return keys
}
