package storagetest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/storage"
)

func (s *suite) testCancelledContext(t *testing.T, b storage.Backend, prefix string) {
	key := prefix + "exists"
	s.put(t, b, key, strings.NewReader("old"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	wantCanceled := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: error %v, want one matching context.Canceled", op, err)
		}
	}
	_, err := b.Put(ctx, prefix+"new", strings.NewReader("new"))
	wantCanceled("Put", err)
	if _, err := b.Stat(t.Context(), prefix+"new"); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("Put with a cancelled context left an object (Stat: %v)", err)
	}
	_, err = b.Put(ctx, key, strings.NewReader("overwritten"))
	wantCanceled("Put (overwrite)", err)
	_, _, err = get(ctx, b, key, 0, -1)
	wantCanceled("Get", err)
	_, err = b.Stat(ctx, key)
	wantCanceled("Stat", err)
	wantCanceled("Delete", b.Delete(ctx, key))
	wantCanceled("DeleteMany", b.DeleteMany(ctx, []string{key}))
	var listErr error
	for _, err := range b.List(ctx, prefix) {
		if err != nil {
			listErr = err
		}
	}
	wantCanceled("List", listErr)
	// Nothing was written or deleted.
	mustGet(t, b, key, 0, -1, []byte("old"))
}

func (s *suite) testCancelMidUpload(t *testing.T, b storage.Backend, prefix string) {
	size, cancelAt := int64(4<<20), int64(2<<20)
	if s.caps.PartSize > 0 {
		size, cancelAt = 3*s.caps.PartSize, s.caps.PartSize+s.caps.PartSize/2
	}
	old := Pattern{N: 1000, Seed: 9}
	existing := prefix + "existing"
	s.put(t, b, existing, old)
	for _, tc := range []struct {
		name, key string
		want      []byte // content after the cancelled Put; nil: no object
	}{
		{"new key", prefix + "new", nil},
		{"overwrite", existing, old.Bytes()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			src := &countingSource{Source: Pattern{N: size, Seed: 10}}
			src.onRead = func(total int64) {
				if total >= cancelAt {
					cancel()
				}
			}
			info, err := b.Put(ctx, tc.key, src)
			if err == nil {
				t.Fatalf("Put cancelled after %d of %d bytes succeeded: %+v", cancelAt, size, info)
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Put cancelled mid-upload: error %v, want one matching context.Canceled", err)
			}
			if tc.want == nil {
				if _, err := b.Stat(t.Context(), tc.key); !errors.Is(err, storage.ErrNotExist) {
					t.Errorf("cancelled Put left an object behind (Stat: %v)", err)
				}
			} else {
				mustGet(t, b, tc.key, 0, -1, tc.want)
			}
			if s.caps.PendingUploads != nil {
				n, err := s.caps.PendingUploads(t.Context())
				if err != nil {
					t.Fatalf("PendingUploads: %v", err)
				}
				if n != 0 {
					t.Errorf("%d multipart uploads left open after a cancelled Put", n)
				}
			}
		})
	}
	if got := keysOf(list(t, b, prefix)); len(got) != 1 || got[0] != existing {
		t.Errorf("List after cancelled uploads = %q, want only %q", got, existing)
	}
}
