package storagetest

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/storage"
)

func (s *suite) testRoundTrip(t *testing.T, b storage.Backend, prefix string) {
	src := Pattern{N: 100_003, Seed: 1}
	key := prefix + "meta/schema.cql"
	info := s.put(t, b, key, src)
	s.checkStat(t, b, info)
	mustGet(t, b, key, 0, -1, src.Bytes())
	got := list(t, b, prefix)
	if len(got) != 1 {
		t.Fatalf("List(%q) = %q, want one key", prefix, keysOf(got))
	}
	s.compareInfo(t, "List", info, got[0])
}

func (s *suite) testOverwrite(t *testing.T, b storage.Backend, prefix string) {
	key := prefix + "meta/manifest.json"
	first := Pattern{N: 50_000, Seed: 2}
	s.put(t, b, key, first)
	second := strings.NewReader(`{"overwritten": true}`)
	info := s.put(t, b, key, second)
	s.checkStat(t, b, info)
	mustGet(t, b, key, 0, -1, []byte(`{"overwritten": true}`))
	if got := list(t, b, prefix); len(got) != 1 || got[0].Size != second.Size() {
		t.Errorf("List after overwrite = %+v, want one object of %d bytes", got, second.Size())
	}
}

func (s *suite) testEmptyObject(t *testing.T, b storage.Backend, prefix string) {
	key := prefix + "meta/differential-empty"
	info := s.put(t, b, key, bytes.NewReader(nil))
	s.checkStat(t, b, info)
	mustGet(t, b, key, 0, -1, []byte{})
	if got := list(t, b, prefix); len(got) != 1 || got[0].Key != key || got[0].Size != 0 {
		t.Errorf("List = %+v, want the empty object", got)
	}
}

func (s *suite) testRangeReads(t *testing.T, b storage.Backend, prefix string) {
	src := Pattern{N: 300_000, Seed: 3}
	data := src.Bytes()
	n := src.N
	key := prefix + "data/ks/tbl/nb-1-big-Data.db"
	s.put(t, b, key, src)
	tests := []struct {
		name           string
		offset, length int64
		want           []byte
	}{
		{"whole", 0, -1, data},
		{"whole by length", 0, n, data},
		{"middle", 1000, 70_000, data[1000:71_000]},
		{"one byte", 12345, 1, data[12345:12346]},
		{"to end", n - 10, -1, data[n-10:]},
		{"past end is cut", n - 10, 100, data[n-10:]},
		{"zero length", 5, 0, []byte{}},
		{"last byte", n - 1, 1, data[n-1:]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mustGet(t, b, key, tc.offset, tc.length, tc.want)
		})
	}
	for _, tc := range []struct {
		name           string
		offset, length int64
	}{{"offset past end", n + 10, 5}, {"offset past end to end", n + 10, -1}} {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := get(t.Context(), b, key, tc.offset, tc.length)
			if err == nil {
				t.Fatalf("Get(%d, %d) of a %d-byte object returned %d bytes, want an error", tc.offset, tc.length, n, len(got))
			}
			if storage.IsTransient(err) || errors.Is(err, storage.ErrNotExist) {
				t.Errorf("Get past the end: error %v is transient or ErrNotExist; want a permanent range error", err)
			}
		})
	}
	t.Run("partial read then close", func(t *testing.T) {
		rc, _, err := b.Get(t.Context(), key, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 10)
		if _, err := rc.Read(buf); err != nil {
			t.Errorf("Read: %v", err)
		}
		if err := rc.Close(); err != nil {
			t.Errorf("Close after a partial read: %v", err)
		}
	})
}

func (s *suite) testNotFound(t *testing.T, b storage.Backend, prefix string) {
	s.put(t, b, prefix+"dir/file", strings.NewReader("x"))
	for _, key := range []string{prefix + "missing", prefix + "dir", prefix + "dir/fil", prefix + "dir/file/below"} {
		t.Run(key[len(prefix):], func(t *testing.T) {
			if _, err := b.Stat(t.Context(), key); !errors.Is(err, storage.ErrNotExist) {
				t.Errorf("Stat(%q) error = %v, want ErrNotExist", key, err)
			}
			rc, _, err := b.Get(t.Context(), key, 0, -1)
			if err == nil {
				rc.Close()
			}
			if !errors.Is(err, storage.ErrNotExist) {
				t.Errorf("Get(%q) error = %v, want ErrNotExist from Get itself", key, err)
			}
			if storage.IsTransient(err) {
				t.Errorf("Get(%q) of a missing key is marked transient", key)
			}
		})
	}
	if got := list(t, b, prefix+"missing"); len(got) != 0 {
		t.Errorf("List of a prefix without objects = %q, want nothing", keysOf(got))
	}
}

func (s *suite) testDeleteMissing(t *testing.T, b storage.Backend, prefix string) {
	keep := prefix + "keep"
	s.put(t, b, keep, strings.NewReader("keep"))
	if err := b.Delete(t.Context(), prefix+"never-written"); err != nil {
		t.Errorf("Delete of a missing key: %v", err)
	}
	if err := b.DeleteMany(t.Context(), nil); err != nil {
		t.Errorf("DeleteMany(nil): %v", err)
	}
	if err := b.DeleteMany(t.Context(), []string{prefix + "nope1", prefix + "nope2"}); err != nil {
		t.Errorf("DeleteMany of missing keys: %v", err)
	}
	del := prefix + "delete-me"
	s.put(t, b, del, strings.NewReader("bye"))
	if err := b.Delete(t.Context(), del); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := b.Stat(t.Context(), del); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("Stat after Delete: %v, want ErrNotExist", err)
	}
	if err := b.Delete(t.Context(), del); err != nil {
		t.Errorf("second Delete: %v", err)
	}
	if got := keysOf(list(t, b, prefix)); !slices.Equal(got, []string{keep}) {
		t.Errorf("List after deletes = %q, want [%q]", got, keep)
	}
}

// medusaNames are keys shaped like Medusa's layout: table dirs with ids,
// secondary index dirs starting with '.', SSTable component names,
// spaces, unicode and characters that need escaping in URLs.
var medusaNames = []string{
	"node1.example.com/backup 2024-01-01/meta/schema.cql",
	"node1.example.com/backup 2024-01-01/data/ks/users-1d4f2e00a1b011eea5b1f9d4c6e1a2b3/nb-1-big-Data.db",
	"node1.example.com/backup 2024-01-01/data/ks/users-1d4f2e00a1b011eea5b1f9d4c6e1a2b3/.users_email_idx/nb-1-big-Index.db",
	"node1.example.com/backup 2024-01-01/data/ks/users-1d4f2e00a1b011eea5b1f9d4c6e1a2b3/nb-1-big-TOC.txt",
	"index/backup_index/backup 2024-01-01/tokenmap_node1.example.com.json",
	"10.0.0.1/data/ks/tbl/md-12-big-Summary.db",
	"unicode/résumé ✓/数据.db",
	"chars/a+b=c,d@e~f(1)!'x';$&",
	"dots/a..b/...c/d.e.f",
	"percent/100%25 done",
}

func (s *suite) testMedusaKeys(t *testing.T, b storage.Backend, prefix string) {
	infos := map[string]storage.ObjectInfo{}
	for _, name := range medusaNames {
		key := prefix + name
		infos[key] = s.put(t, b, key, strings.NewReader(name))
	}
	for key, info := range infos {
		s.checkStat(t, b, info)
		mustGet(t, b, key, 0, -1, []byte(key[len(prefix):]))
	}
	got := list(t, b, prefix)
	if want := sortedKeys(prefix, medusaNames...); !slices.Equal(keysOf(got), want) {
		t.Errorf("List(%q) =\n%q\nwant\n%q", prefix, keysOf(got), want)
	}
	for _, info := range got {
		s.compareInfo(t, "List", infos[info.Key], info)
	}
	sub := prefix + "node1.example.com/backup 2024-01-01/data/"
	if got := keysOf(list(t, b, sub)); len(got) != 3 {
		t.Errorf("List(%q) = %q, want the 3 data files", sub, got)
	}
}
