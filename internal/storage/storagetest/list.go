package storagetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/medusa-go/medusa/internal/storage"
)

// listNames never use one name both as an object and as a "directory", so
// they fit a file system too.
var listNames = []string{
	"p/a/b", "p/a/b.d", "p/a/bc", "p/a/b-1/x", "p/a/c", "p/ab",
	"p/d/x", "p/d/y/z", "p/d.txt", "p/dd", "q",
}

func (s *suite) testListPrefix(t *testing.T, b storage.Backend, prefix string) {
	for _, name := range listNames {
		s.put(t, b, prefix+name, strings.NewReader(name))
	}
	tests := []struct {
		sub  string
		want []string // names, nil = compute by plain string prefix
	}{
		{"p/a/b", []string{"p/a/b", "p/a/b-1/x", "p/a/b.d", "p/a/bc"}},
		{"p/d/", []string{"p/d/x", "p/d/y/z"}},
		{"p/d", []string{"p/d.txt", "p/d/x", "p/d/y/z", "p/dd"}},
		{"p/", nil},
		{"", nil},
		{"p/a/b-1/x", []string{"p/a/b-1/x"}},
		{"p/a/b/", []string{}},
		{"p/zzz", []string{}},
		{"p/a/b-1/x/", []string{}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%q", tc.sub), func(t *testing.T) {
			want := tc.want
			if want == nil {
				for _, name := range listNames {
					if strings.HasPrefix(name, tc.sub) {
						want = append(want, name)
					}
				}
			}
			got := keysOf(list(t, b, prefix+tc.sub))
			if w := sortedKeys(prefix, want...); !slices.Equal(got, w) {
				t.Errorf("List(%q) =\n%q\nwant\n%q", prefix+tc.sub, got, w)
			}
		})
	}
	t.Run("stop early", func(t *testing.T) {
		n := 0
		for _, err := range b.List(t.Context(), prefix) {
			if err != nil {
				t.Fatal(err)
			}
			if n++; n == 2 {
				break
			}
		}
		if n != 2 {
			t.Errorf("iterated %d objects, want 2", n)
		}
	})
}

func (s *suite) testListManyAndDeleteMany(t *testing.T, b storage.Backend, prefix string) {
	n := s.caps.ManyKeys
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("%sk/%d/%05d", prefix, i%7, i)
	}
	g, ctx := errgroup.WithContext(t.Context())
	g.SetLimit(s.caps.Workers)
	for _, key := range keys {
		g.Go(func() error {
			_, err := b.Put(ctx, key, strings.NewReader(key))
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("creating %d keys: %v", n, err)
	}
	slices.Sort(keys)
	got := list(t, b, prefix)
	if !slices.Equal(keysOf(got), keys) {
		t.Fatalf("List(%q) returned %d keys, want %d (first difference: %s)",
			prefix, len(got), n, diffKeys(keysOf(got), keys))
	}
	for _, info := range got {
		if info.Size != int64(len(info.Key)) {
			t.Fatalf("List: %q size %d, want %d", info.Key, info.Size, len(info.Key))
		}
	}
	t.Run("stop after first page", func(t *testing.T) {
		i := 0
		for info, err := range b.List(t.Context(), prefix) {
			if err != nil {
				t.Fatal(err)
			}
			if info.Key != keys[i] {
				t.Fatalf("object %d: %q, want %q", i, info.Key, keys[i])
			}
			if i++; i == 1001 {
				break
			}
		}
	})
	// DeleteMany with missing keys mixed in: 1,500 keys for the default n.
	batch := slices.Clone(keys)
	for i := range max(1500-n, 100) {
		batch = append(batch, fmt.Sprintf("%sk/missing/%05d", prefix, i))
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
	if err := b.DeleteMany(t.Context(), batch); err != nil {
		t.Fatalf("DeleteMany(%d keys, %d missing): %v", len(batch), len(batch)-n, err)
	}
	if left := list(t, b, prefix); len(left) != 0 {
		t.Errorf("after DeleteMany, %d keys remain, first %q", len(left), left[0].Key)
	}
}

// diffKeys describes the first difference between got and want.
func diffKeys(got, want []string) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("at %d got %q want %q", i, got[i], want[i])
		}
	}
	if len(got) < len(want) {
		return fmt.Sprintf("missing from %q on", want[len(got)])
	}
	if len(got) > len(want) {
		return fmt.Sprintf("extra from %q on", got[len(want)])
	}
	return "none"
}
