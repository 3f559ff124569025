package retry

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/storagetest"
)

// TestResumePinnedToVersion: a stream broken after 1,000 bytes resumes
// from the same version without asking Stat; when the object was replaced
// meanwhile (same size or not), the read fails at once with ErrChanged
// after delivering only bytes of the first version.
func TestResumePinnedToVersion(t *testing.T) {
	const breakAt = 1000
	tests := []struct {
		name        string
		replacement storage.Source // nil: not replaced
		length      int64
	}{
		{"unchanged, to the end", nil, -1},
		{"unchanged, a range", nil, 5000},
		{"replaced by the same size", storagetest.Pattern{N: 1 << 20, Seed: 8}, -1},
		{"replaced by a smaller object", storagetest.Pattern{N: 3000, Seed: 9}, 5000},
		{"replaced by a larger object", storagetest.Pattern{N: 2 << 20, Seed: 10}, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, Policy{})
			f.faulty.Inject(storagetest.Fault{Op: storagetest.OpRead, Err: storagetest.ErrConnReset, After: breakAt, Times: 1})
			rc, info, err := f.b.Get(t.Context(), "obj", 0, tc.length)
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			if info.Size != int64(len(f.data)) || info.Version == "" {
				t.Fatalf("Get described %+v", info)
			}
			if tc.replacement != nil {
				if _, err := f.faulty.Backend.Put(t.Context(), "obj", tc.replacement); err != nil {
					t.Fatal(err)
				}
			}
			got, err := io.ReadAll(rc)
			want := f.data
			if tc.length >= 0 {
				want = want[:tc.length]
			}
			switch {
			case tc.replacement == nil && (err != nil || !bytes.Equal(got, want)):
				t.Errorf("resumed read: %d bytes, %v; want the %d bytes asked", len(got), err, len(want))
			case tc.replacement != nil && (!errors.Is(err, storage.ErrChanged) || storage.IsTransient(err)):
				t.Errorf("read of a replaced object: error %v, want a permanent ErrChanged", err)
			case tc.replacement != nil && !bytes.Equal(got, f.data[:breakAt]):
				t.Errorf("read of a replaced object delivered %d bytes, not the first %d of the first version", len(got), breakAt)
			}
			if n := f.faulty.Calls(storagetest.OpGet); n != 2 {
				t.Errorf("%d Gets, want 2: the first and one resume", n)
			}
			if n := f.faulty.Calls(storagetest.OpStat); n != 0 {
				t.Errorf("%d Stats: the first answer gives the size", n)
			}
			if tc.replacement != nil {
				if _, err := rc.Read(make([]byte, 1)); !errors.Is(err, storage.ErrChanged) {
					t.Errorf("read after ErrChanged = %v, want the same error again", err)
				}
			}
		})
	}
}

// unversioned describes objects without a Version, as a backend outside
// the contract might.
type unversioned struct{ storage.Backend }

func (u unversioned) Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, storage.ObjectInfo, error) {
	rc, info, err := u.Backend.Get(ctx, key, offset, length)
	info.Version = ""
	return rc, info, err
}

// TestNoResumeWithoutVersion: a stream whose first answer names no version
// is not resumed (the rest could come from another version): the break is
// returned as it is.
func TestNoResumeWithoutVersion(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Policy{})
	f.faulty.Inject(storagetest.Fault{Op: storagetest.OpRead, Err: storagetest.ErrConnReset, After: 100, Times: 1})
	b := New(unversioned{f.faulty}, Policy{Sleep: f.sleeps.sleep})
	got, err := readAll(t.Context(), b, "obj")
	if !errors.Is(err, storagetest.ErrConnReset) || len(got) != 100 {
		t.Errorf("read %d bytes, %v; want 100 then the reset", len(got), err)
	}
	if n := f.faulty.Calls(storagetest.OpGet); n != 1 {
		t.Errorf("%d Gets, want 1: no resume", n)
	}
}
