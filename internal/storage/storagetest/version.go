package storagetest

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/medusa-go/medusa/internal/storage"
)

// testGetDescribes checks the description Get returns with its stream:
// the whole object's size, Stat's version, modification time and hash
// (or no hash when the answer has none), for every kind of range; and a
// new version after an overwrite of the same size.
func (s *suite) testGetDescribes(t *testing.T, b storage.Backend, prefix string) {
	first := Pattern{N: 100_003, Seed: 40}
	key := prefix + "data/ks/tbl/nb-3-big-Data.db"
	s.put(t, b, key, first)
	stat, err := b.Stat(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	if stat.Version == "" {
		t.Fatalf("Stat(%q) reports no version", key)
	}
	data := first.Bytes()
	for _, tc := range []struct {
		name           string
		offset, length int64
		whole          bool
	}{
		{"whole", 0, -1, true},
		{"whole by length", 0, first.N, false},
		{"middle", 1000, 5000, false},
		{"to end", 7, -1, false},
		{"zero length", 5, 0, false},
		{"at the end", first.N, -1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			end := first.N
			if tc.length >= 0 {
				end = min(end, tc.offset+tc.length)
			}
			info := mustGet(t, b, key, tc.offset, tc.length, data[tc.offset:end])
			s.compareGetInfo(t, stat, info, tc.whole)
		})
	}
	second := Pattern{N: first.N, Seed: 41}
	s.put(t, b, key, second)
	info := mustGet(t, b, key, 10, 10, second.Bytes()[10:20])
	if info.Version == stat.Version {
		t.Errorf("Get after an overwrite of the same size reports the first version %q", info.Version)
	}
	if st, err := b.Stat(t.Context(), key); err != nil || st.Version != info.Version {
		t.Errorf("Stat after the overwrite = %+v, %v; want Get's version %q", st, err, info.Version)
	}
}

// compareGetInfo compares what Get said of an object with Stat's answer.
func (s *suite) compareGetInfo(t *testing.T, stat, got storage.ObjectInfo, whole bool) {
	t.Helper()
	if got.Size != stat.Size || got.Version != stat.Version {
		t.Errorf("Get described size %d version %q, Stat %d %q", got.Size, got.Version, stat.Size, stat.Version)
	}
	if d := got.ModTime.Sub(stat.ModTime).Abs(); d > s.caps.ModTimeSlack {
		t.Errorf("Get described modtime %v, Stat %v", got.ModTime, stat.ModTime)
	}
	if got.Hash != "" && got.Hash != stat.Hash {
		t.Errorf("Get described hash %q, Stat %q", got.Hash, stat.Hash)
	}
	if whole && s.caps.GetHash && got.Hash != stat.Hash {
		t.Errorf("Get of the whole object described hash %q, want Stat's %q", got.Hash, stat.Hash)
	}
}

// testResumePinned breaks a stream read through Capabilities.Resume (the
// retry decorator): unchanged, the read resumes and delivers the object;
// overwritten between the break and the resume, the read fails with
// ErrChanged after delivering only bytes of the first version.
func (s *suite) testResumePinned(t *testing.T, b storage.Backend, prefix string) {
	if s.caps.Resume == nil {
		t.Skip("Capabilities.Resume is nil")
	}
	const breakAt, readFirst = 100_000, 50_000
	first, second := Pattern{N: 300_000, Seed: 50}, Pattern{N: 300_000, Seed: 51}
	key := prefix + "data/ks/tbl/nb-4-big-Data.db"
	s.put(t, b, key, first)
	for _, change := range []bool{false, true} {
		faulty := NewFaulty(b)
		faulty.Inject(Fault{Op: OpRead, Key: key, Err: ErrConnReset, After: breakAt, Times: 1})
		rc, _, err := s.caps.Resume(faulty).Get(t.Context(), key, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		head := make([]byte, readFirst)
		if _, err := io.ReadFull(rc, head); err != nil {
			t.Fatalf("reading the first %d bytes: %v", readFirst, err)
		}
		if change {
			s.put(t, b, key, second)
		}
		rest, err := io.ReadAll(rc)
		rc.Close()
		got := append(head, rest...)
		switch {
		case !change && (err != nil || !bytes.Equal(got, first.Bytes())):
			t.Errorf("read resumed after a break: %d bytes, %v; want the %d bytes of the object", len(got), err, first.N)
		case change && !errors.Is(err, storage.ErrChanged):
			t.Errorf("object overwritten before the resume: read %d bytes, error %v; want ErrChanged", len(got), err)
		case change && storage.IsTransient(err):
			t.Errorf("ErrChanged is marked transient: %v", err)
		case change && !bytes.Equal(got, first.Bytes()[:breakAt]):
			t.Errorf("object overwritten before the resume: the %d bytes delivered are not the first %d of the first version",
				len(got), breakAt)
		}
		if n := faulty.Injected(OpRead); n != 1 {
			t.Errorf("%d breaks injected, want 1", n)
		}
	}
}
