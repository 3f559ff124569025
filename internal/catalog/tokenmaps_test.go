package catalog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
)

func TestTokenmapReaderReadsEachContentOnce(t *testing.T) {
	t.Parallel()
	const md5A, md5B = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"
	info := map[string]storage.ObjectInfo{}
	add := func(key, hash string, size int64) { info[key] = storage.ObjectInfo{Key: key, Hash: hash, Size: size} }
	for i := range 50 {
		add(fmt.Sprintf("a%d", i), md5A, 100)
		add(fmt.Sprintf("b%d", i), `"`+md5B+`"`, 100)
	}
	add("a-other-size", md5A, 101)                          // same hash, other size: other content
	add("b-base64", "/ty6mHZUMhD+3LqYdlQyEA==", 100)        // md5B in base64: same content
	add("sse-c", "0123456789abcdef0123456789abcdef-2", 100) // not a plain MD5
	add("azure", "0x8DC1234567890AB", 100)
	add("gone", md5A, 50)
	add("gone-2", md5A, 50)
	tests := []struct {
		name       string
		keys       []string
		wantGets   int
		sequential bool
	}{
		{"fifty and fifty", keysOf("a", "b", 50), 2, false},
		{"size matters, base64 equals hex", []string{"a0", "a-other-size", "b0", "b-base64"}, 3, false},
		{"no content MD5: one GET each", []string{"sse-c", "sse-c", "azure", "azure", "unlisted"}, 5, false},
		// "gone" was deleted after the listing: the shared read fails,
		// then each reads its own key.
		{"a failed shared read: the others read their own key", []string{"gone", "gone-2"}, 2, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var gets atomic.Int64
			read := func(_ context.Context, key string) (layout.Tokenmap, error) {
				gets.Add(1)
				if key == "gone" {
					return layout.Tokenmap{}, fmt.Errorf("get %s: %w", key, storage.ErrNotExist)
				}
				return layout.Tokenmap{Hosts: []layout.TokenmapHost{{Host: key}}}, nil
			}
			r := newTokenmapReader(info, read)
			var wg sync.WaitGroup
			errs := make([]error, len(tc.keys))
			for i, k := range tc.keys {
				wg.Go(func() { _, errs[i] = r.get(t.Context(), k) })
				if tc.sequential {
					wg.Wait()
				}
			}
			wg.Wait()
			if got := gets.Load(); got != int64(tc.wantGets) {
				t.Errorf("%d GETs, want %d", got, tc.wantGets)
			}
			for i, err := range errs {
				if (err != nil) != (tc.keys[i] == "gone") || (err != nil && !errors.Is(err, storage.ErrNotExist)) {
					t.Errorf("get(%s): %v", tc.keys[i], err)
				}
			}
		})
	}
}

func keysOf(a, b string, n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("%s%d", a, i), fmt.Sprintf("%s%d", b, i))
	}
	return out
}
