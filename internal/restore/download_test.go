package restore

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/medusa-go/medusa/internal/storage"
)

func TestDownloadCommand(t *testing.T) {
	for _, tc := range []struct {
		name         string
		o            DownloadOptions
		want, absent []string
	}{
		{name: "everything", want: []string{"ks/users-1111", "system/local-7ad5", "system_auth/roles-5b"}},
		{name: "one table and the system keyspaces", o: DownloadOptions{Tables: []string{"ks.users"}},
			want: []string{"ks/users-1111", "system/local-7ad5"}, absent: []string{"ks/orders-2222"}},
		{name: "ignore system keyspaces", o: DownloadOptions{IgnoreSystemKeyspaces: true},
			want: []string{"ks/users-1111", "ks/orders-2222"}, absent: []string{"system", "system_schema", "system_auth"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.backup(backedUp)
			dest := t.TempDir()
			o := tc.o
			o.Backup, o.FQDN, o.Destination, o.Concurrency = fxBackup, fxFQDN, dest, 2
			if _, err := Download(t.Context(), Deps{Storage: f.store}, o); err != nil {
				t.Fatal(err)
			}
			for _, name := range tc.want {
				got := map[string]string{}
				for rel, v := range tree(t, filepath.Join(dest, filepath.FromSlash(name))) {
					if v != "<dir>" {
						got[filepath.ToSlash(rel)] = v
					}
				}
				sameFiles(t, name, got, backedUp[name])
			}
			for _, name := range tc.absent {
				if exists(filepath.Join(dest, filepath.FromSlash(name))) {
					t.Errorf("%s was downloaded", name)
				}
			}
			for _, meta := range []string{"manifest.json", "schema.cql", "tokenmap.json"} {
				if b, err := os.ReadFile(filepath.Join(dest, meta)); err != nil || len(b) == 0 {
					t.Errorf("%s: %v (%d bytes)", meta, err, len(b))
				}
			}
		})
	}
}

func TestDownloadNeedsADirectory(t *testing.T) {
	f := newFixture(t)
	f.backup(backedUp)
	_, err := Download(t.Context(), Deps{Storage: f.store},
		DownloadOptions{Backup: fxBackup, FQDN: fxFQDN, Destination: filepath.Join(t.TempDir(), "nope")})
	if err == nil || !strings.Contains(err.Error(), "is not a directory") {
		t.Fatalf("err = %v", err)
	}
}

// TestSSTableLoader: the running node is never stopped; every downloaded
// table is loaded except system and system_schema (and system_auth with
// --keep-auth); the download is removed.
func TestSSTableLoader(t *testing.T) {
	for _, keepAuth := range []bool{false, true} {
		f := newScenario(t)
		before := f.nodeTree()
		loader := &fakeLoader{}
		d := f.deps()
		d.Loader = loader
		d.Schema = &fakeSchema{}
		o := f.options()
		o.UseSSTableLoader, o.InPlace, o.KeepAuth = true, !keepAuth, keepAuth
		if _, err := runText(t.Context(), d, o, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		var loaded []string
		for _, dir := range loader.dirs {
			loaded = append(loaded, filepath.Base(filepath.Dir(dir))+"/"+filepath.Base(dir))
		}
		slices.Sort(loaded)
		want := []string{"ks/orders-2222", "ks/peers_book-4444", "ks/users-1111", "system_auth/roles-5b"}
		if keepAuth {
			want = want[:3]
		}
		if !slices.Equal(loaded, want) {
			t.Errorf("keepAuth=%v: loaded %v, want %v", keepAuth, loaded, want)
		}
		if calls := f.node.Calls(); len(calls) != 0 {
			t.Errorf("the node was touched: %v", calls)
		}
		if d := diffTrees(before, f.nodeTree()); len(d) > 0 {
			t.Errorf("node files changed: %v", d)
		}
		f.assertClean()
	}
}

// describingStore counts Stat calls and can skew the size its Gets report.
type describingStore struct {
	storage.Backend
	mu    sync.Mutex
	stats []string // keys Stat was asked for
	skew  int64    // added to the size Get reports
}

func (s *describingStore) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	s.mu.Lock()
	s.stats = append(s.stats, key)
	s.mu.Unlock()
	return s.Backend.Stat(ctx, key)
}

func (s *describingStore) Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, storage.ObjectInfo, error) {
	rc, info, err := s.Backend.Get(ctx, key, offset, length)
	info.Size += s.skew
	return rc, info, err
}

// TestDownloadUsesTheGETsDescription: the store's answer to the GET
// describes the object, so no Stat is sent, and a size that differs from the
// manifest's still stops the download.
func TestDownloadUsesTheGETsDescription(t *testing.T) {
	f := newFixture(t)
	f.backup(backedUp)
	store := &describingStore{Backend: f.store}
	o := DownloadOptions{Backup: fxBackup, FQDN: fxFQDN, Concurrency: 2, Destination: t.TempDir()}
	if _, err := Download(t.Context(), Deps{Storage: store}, o); err != nil {
		t.Fatal(err)
	}
	for _, key := range store.stats {
		if strings.Contains(key, "/data/") {
			t.Errorf("Stat(%s) beside the GET, which describes the object", key)
		}
	}
	store.skew = 1
	o.Destination = t.TempDir()
	_, err := Download(t.Context(), Deps{Storage: store}, o)
	if err == nil || !strings.Contains(err.Error(), "changed since the backup") {
		t.Errorf("a size that differs from the manifest's: error %v, want \"changed since the backup\"", err)
	}
}
