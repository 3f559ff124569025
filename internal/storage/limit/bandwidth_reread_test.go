package limit

import (
	"context"
	"io"
	"sync"
	"testing"

	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/storagetest"
)

// rereader is a backend whose Put reads the source the way the S3 SDK
// does over plain HTTP: each part twice (hash, then send), parts
// concurrently, and optionally one part a third time (a retried part).
type rereader struct {
	storage.Backend
	parts int
	retry bool
}

func (r rereader) Put(ctx context.Context, key string, src storage.Source) (storage.ObjectInfo, error) {
	size := src.Size()
	part := (size + int64(r.parts) - 1) / int64(r.parts)
	var wg sync.WaitGroup
	errs := make([]error, r.parts)
	for i := range r.parts {
		wg.Go(func() {
			off := int64(i) * part
			n := max(0, min(part, size-off))
			passes := 2
			if r.retry && i == 0 {
				passes = 3
			}
			for range passes {
				if _, err := io.Copy(io.Discard, io.NewSectionReader(src, off, n)); err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return storage.ObjectInfo{}, err
		}
	}
	return storage.ObjectInfo{Key: key, Size: size}, nil
}

// TestBandwidthChargesEachByteOnce: however often and in whatever order the
// backend reads a Put's source, every byte is paid for exactly once, so the
// configured rate is the rate of the upload.
func TestBandwidthChargesEachByteOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		size  int64
		parts int
		retry bool
	}{
		{"single body read twice", 3 << 20, 1, false},
		{"four parts read twice, concurrently", 10<<20 + 12345, 4, false},
		{"a retried part", 5 << 20, 3, true},
		{"empty object", 0, 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := newVirtual(1 << 20)
			b := Bandwidth(rereader{Backend: newLocal(t), parts: tc.parts, retry: tc.retry}, v)
			if _, err := b.Put(t.Context(), "k", storagetest.Pattern{N: tc.size, Seed: 3}); err != nil {
				t.Fatal(err)
			}
			if v.tokens != tc.size {
				t.Errorf("tokens taken %d, want the object size %d", v.tokens, tc.size)
			}
		})
	}
}

func TestChargeSpans(t *testing.T) {
	t.Parallel()
	s := &limitedSource{}
	steps := []struct {
		from, to, owed int64
	}{
		{0, 10, 10},
		{5, 15, 5},   // overlaps the end
		{20, 30, 10}, // apart
		{15, 20, 5},  // fills the gap: one span [0,30) left
		{0, 30, 0},
		{25, 40, 10},
		{40, 40, 0},
	}
	for _, st := range steps {
		if got := s.charge(st.from, st.to); got != st.owed {
			t.Errorf("charge(%d, %d) = %d, want %d (spans before: %v)", st.from, st.to, got, st.owed, s.charged)
		}
	}
	if len(s.charged) != 1 || s.charged[0] != (span{0, 40}) {
		t.Errorf("spans = %v, want [{0 40}]", s.charged)
	}
}
