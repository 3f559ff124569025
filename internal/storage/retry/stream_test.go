package retry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/local"
	"github.com/medusa-go/medusa/internal/storage/storagetest"
)

func TestGetResumesMidStream(t *testing.T) {
	n := int64(1 << 20)
	tests := []struct {
		name           string
		offset, length int64
		err            error
		after          int64
		breaks         int
	}{
		{"whole object, resets", 0, -1, storagetest.ErrConnReset, 100_000, 3},
		{"range, throttled", 1000, 500_000, storagetest.ErrSlowDown, 77_777, 4},
		{"to end from offset", 5000, -1, storagetest.ErrConnReset, 300_000, 2},
		{"unmarked unexpected EOF", 0, -1, io.ErrUnexpectedEOF, 1, 2},
		{"break at the very end", 0, -1, storagetest.ErrConnReset, n, 1},
		{"break at the end of a range", 10, 100, storagetest.ErrConnReset, 100, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, Policy{})
			f.faulty.Inject(storagetest.Fault{Op: storagetest.OpRead, Err: tc.err, After: tc.after, Times: tc.breaks})
			rc, _, err := f.b.Get(t.Context(), "obj", tc.offset, tc.length)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			if err != nil {
				t.Fatalf("read after %d bytes: %v", len(got), err)
			}
			if err := rc.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			end := n
			if tc.length >= 0 {
				end = tc.offset + tc.length
			}
			if !bytes.Equal(got, f.data[tc.offset:end]) {
				t.Errorf("got %d bytes, want exactly bytes [%d, %d)", len(got), tc.offset, end)
			}
			if inj := f.faulty.Injected(storagetest.OpRead); inj != tc.breaks {
				t.Errorf("%d breaks injected, want %d", inj, tc.breaks)
			}
			if n := f.sleeps.count(); n != tc.breaks {
				t.Errorf("slept %d times, want one per break (%d)", n, tc.breaks)
			}
		})
	}
}

func TestGetResumeLimits(t *testing.T) {
	t.Run("no progress gives up", func(t *testing.T) {
		f := newFixture(t, Policy{MaxAttempts: 3})
		f.faulty.Inject(storagetest.Fault{Op: storagetest.OpRead, Err: storagetest.ErrConnReset, After: 0})
		rc, _, err := f.b.Get(t.Context(), "obj", 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		_, err = io.ReadAll(rc)
		if !errors.Is(err, storagetest.ErrConnReset) || !strings.Contains(err.Error(), "gave up") {
			t.Errorf("error = %v, want the reset after giving up", err)
		}
		if got := f.faulty.Calls(storagetest.OpGet); got != 3 {
			t.Errorf("Get called %d times, want 3 (MaxAttempts)", got)
		}
		if _, err2 := rc.Read(make([]byte, 1)); !errors.Is(err2, storagetest.ErrConnReset) {
			t.Errorf("read after failure = %v, want the same error again", err2)
		}
	})
	t.Run("permanent read error", func(t *testing.T) {
		f := newFixture(t, Policy{})
		f.faulty.Inject(storagetest.Fault{Op: storagetest.OpRead, Err: storagetest.ErrDenied, After: 10})
		_, err := readAll(t.Context(), f.b, "obj")
		if !errors.Is(err, storage.ErrAccessDenied) || f.faulty.Calls(storagetest.OpGet) != 1 {
			t.Errorf("error = %v after %d Gets; want access denied after 1", err, f.faulty.Calls(storagetest.OpGet))
		}
	})
	t.Run("object deleted before resume", func(t *testing.T) {
		f := newFixture(t, Policy{})
		f.faulty.Inject(storagetest.Fault{Op: storagetest.OpRead, Err: storagetest.ErrConnReset, After: 10, Times: 1})
		rc, _, err := f.b.Get(t.Context(), "obj", 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		if err := f.b.Delete(t.Context(), "obj"); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadAll(rc); !errors.Is(err, storage.ErrNotExist) {
			t.Errorf("error = %v, want ErrNotExist", err)
		}
	})
	t.Run("cancelled while reading", func(t *testing.T) {
		f := newFixture(t, Policy{})
		ctx, cancel := context.WithCancel(t.Context())
		f.faulty.Inject(storagetest.Fault{Op: storagetest.OpRead, Err: storagetest.ErrConnReset, After: 10})
		rc, _, err := f.b.Get(ctx, "obj", 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		if _, err := io.ReadFull(rc, make([]byte, 10)); err != nil {
			t.Fatal(err)
		}
		cancel()
		if _, err := rc.Read(make([]byte, 10)); err == nil {
			t.Error("read after cancellation succeeded")
		}
		if got := f.faulty.Calls(storagetest.OpGet); got != 1 {
			t.Errorf("stream reopened %d times after cancellation", got-1)
		}
	})
}

func readAll(ctx context.Context, b storage.Backend, key string) ([]byte, error) {
	rc, _, err := b.Get(ctx, key, 0, -1)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func TestListRestartsAfterLastKey(t *testing.T) {
	f := newFixture(t, Policy{})
	want := []string{"obj"}
	for i := range 49 {
		key := fmt.Sprintf("k/%02d", i)
		if _, err := f.b.Put(t.Context(), key, strings.NewReader(key)); err != nil {
			t.Fatal(err)
		}
		want = append(want, key)
	}
	slices.Sort(want)
	f.faulty.Inject(
		storagetest.Fault{Op: storagetest.OpList, Err: storagetest.ErrSlowDown, After: 20, Times: 1},
		storagetest.Fault{Op: storagetest.OpList, Err: storagetest.ErrConnReset, After: 35, Times: 1},
		storagetest.Fault{Op: storagetest.OpList, Err: storagetest.ErrConnReset, After: 10, Times: 1},
	)
	var got []string
	for info, err := range f.b.List(t.Context(), "") {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, info.Key)
	}
	if !slices.Equal(got, want) {
		t.Errorf("List = %q, want each of %d keys once, in order", got, len(want))
	}
	if calls := f.faulty.Calls(storagetest.OpList); calls != 4 {
		t.Errorf("listed %d times, want 4", calls)
	}
}

// sourceReads counts reads starting at offset 0.
type sourceReads struct {
	storage.Source
	fromStart atomic.Int32
}

func (s *sourceReads) ReadAt(p []byte, off int64) (int, error) {
	if off == 0 {
		s.fromStart.Add(1)
	}
	return s.Source.ReadAt(p, off)
}

func TestPutRereadsSource(t *testing.T) {
	f := newFixture(t, Policy{})
	f.faulty.Inject(storagetest.Fault{Op: storagetest.OpPut, Err: storagetest.ErrConnReset, After: 300_000, Times: 2})
	pat := storagetest.Pattern{N: 700_000, Seed: 99}
	src := &sourceReads{Source: pat}
	info, err := f.b.Put(t.Context(), "put", src)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != pat.N || info.Hash != storagetest.HexMD5(pat) {
		t.Errorf("Put = %+v, want size %d and the hash of the source", info, pat.N)
	}
	if got, err := readAll(t.Context(), f.b, "put"); err != nil || !bytes.Equal(got, pat.Bytes()) {
		t.Errorf("stored object differs from the source (err %v)", err)
	}
	if n := src.fromStart.Load(); n != 3 {
		t.Errorf("source read from the start %d times, want 3 (2 failed tries + 1)", n)
	}
}

// TestConformance runs the storage suite through the decorator over a
// backend whose bodies break every 256 KiB: the decorator keeps the
// contract and hides the breaks.
func TestConformance(t *testing.T) {
	base := t.TempDir()
	var faulties []*storagetest.Faulty
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		lb, err := local.New(local.Options{BasePath: base, Bucket: "b", Create: true})
		if err != nil {
			t.Fatal(err)
		}
		f := storagetest.NewFaulty(lb)
		f.Inject(
			storagetest.Fault{Op: storagetest.OpRead, Err: storagetest.ErrConnReset, After: 256 << 10},
			storagetest.Fault{Op: storagetest.OpStat, Err: storagetest.ErrSlowDown, Times: 1},
			storagetest.Fault{Op: storagetest.OpPut, Err: storagetest.ErrSlowDown, Times: 1},
		)
		faulties = append(faulties, f)
		return New(f, Policy{BaseDelay: time.Millisecond, MaxDelay: time.Millisecond,
			Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }})
	}, storagetest.Capabilities{
		ExpectedHash:    storagetest.HexMD5,
		StatWithoutHash: true,
		LargeSize:       16 << 20,
	})
	injected := 0
	for _, f := range faulties {
		injected += f.Injected(storagetest.OpRead)
	}
	if injected < 64 {
		t.Errorf("only %d body breaks injected; the suite did not exercise resumption", injected)
	}
}
