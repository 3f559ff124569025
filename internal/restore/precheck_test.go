package restore

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/storagetest"
)

// TestFailuresBeforeStop: a store that refuses downloads halfway, a
// corrupted object, an object of the wrong size and too little free space
// all fail the restore before Cassandra is stopped; the node's files are
// untouched and the download is removed.
func TestFailuresBeforeStop(t *testing.T) {
	objectPath := func(f *fixture, table, file string) string {
		ks, dir, _ := strings.Cut(table, "/")
		return filepath.Join(f.store.Root(), filepath.FromSlash(f.l.TablePrefix(fxFQDN, fxBackup, ks, dir)+file))
	}
	for _, tc := range []struct {
		name  string
		stage Stage
		want  string
		setup func(f *fixture, d *Deps)
	}{
		{name: "store refuses downloads halfway", stage: StageDownload, want: "AccessDenied",
			setup: func(f *fixture, d *Deps) {
				faulty := storagetest.NewFaulty(f.store)
				faulty.Inject(storagetest.Fault{Op: storagetest.OpGet, Skip: 4, Err: storagetest.ErrDenied})
				d.Storage = faulty
			}},
		{name: "body cut off", stage: StageDownload, want: "connection reset",
			setup: func(f *fixture, d *Deps) {
				faulty := storagetest.NewFaulty(f.store)
				faulty.Inject(storagetest.Fault{Op: storagetest.OpRead, Times: 1, After: 3, Err: storagetest.ErrConnReset,
					Key: f.l.TablePrefix(fxFQDN, fxBackup, "ks", "users-1111") + "nb-1-big-Data.db"})
				d.Storage = faulty
			}},
		{name: "corrupted object", stage: StageCheck, want: "does not match the manifest's",
			setup: func(f *fixture, _ *Deps) {
				writeFile(t, objectPath(f, "ks/orders-2222", "nb-3-big-Data.db"), "orders XX") // same size
			}},
		{name: "object of another size", stage: StageDownload, want: "changed since the backup",
			setup: func(f *fixture, _ *Deps) {
				writeFile(t, objectPath(f, "ks/users-1111", ".users_email_idx/nb-1-big-Data.db"), "2i v1 longer")
			}},
		{name: "object missing", stage: StageDownload, want: "does not exist",
			setup: func(f *fixture, _ *Deps) {
				if err := os.Remove(objectPath(f, "system/local-7ad5", "nb-1-big-Data.db")); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "not enough space", stage: StagePrepare, want: "needs 80 bytes (80.00 B) for the download, 50 bytes (50.00 B) free: 30 bytes (30.00 B) short",
			setup: func(_ *fixture, d *Deps) {
				d.Space = func(string) (uint64, uint64, error) { return 50, 1, nil }
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newScenario(t)
			before := f.nodeTree()
			d := f.deps()
			tc.setup(f, &d)
			_, err := runText(t.Context(), d, f.options(), nil)
			var se *StageError
			if !errors.As(err, &se) || se.Stage != tc.stage || se.NodeTouched {
				t.Fatalf("err = %v, want a failure at stage %s before the node is touched", err, tc.stage)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "Cassandra was not stopped") {
				t.Errorf("error lacks %q or the node's state: %v", tc.want, err)
			}
			if calls := f.node.Calls(); len(calls) != 0 {
				t.Errorf("node was touched: %v", calls)
			}
			if diff := diffTrees(before, f.nodeTree()); len(diff) > 0 {
				t.Errorf("node files changed: %v", diff)
			}
			f.assertClean()
		})
	}
}

// TestSpaceOnDataFileSystem: when the data directory is on another file
// system than the download, it must also have room for the copy.
func TestSpaceOnDataFileSystem(t *testing.T) {
	f := newScenario(t)
	d := f.deps()
	d.Space = func(path string) (uint64, uint64, error) {
		if strings.HasPrefix(path, f.paths.DataDir) {
			return 10, 2, nil
		}
		return 1 << 30, 1, nil
	}
	_, err := runText(t.Context(), d, f.options(), nil)
	if err == nil || !strings.Contains(err.Error(), f.paths.DataDir+": needs 80 bytes") {
		t.Fatalf("err = %v, want a shortfall on the data directory", err)
	}
}

// TestStoreHashIsNoVeto: an object whose store hash differs from the
// manifest's (stored again since the backup, e.g. in parts of another
// size) but whose content is the manifest's is restored; the content
// decides.
func TestStoreHashIsNoVeto(t *testing.T) {
	f := newScenario(t)
	d := f.deps()
	d.Storage = statHash{Backend: f.store, hash: "0123456789abcdef0123456789abcdef"}
	if _, err := runText(t.Context(), d, f.options(), nil); err != nil {
		t.Fatalf("restore of a backup whose objects were stored again with the same bytes: %v", err)
	}
}

// statHash reports a fixed hash for every object, from Stat and Get.
type statHash struct {
	storage.Backend
	hash string
}

func (s statHash) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	info, err := s.Backend.Stat(ctx, key)
	info.Hash = s.hash
	return info, err
}

func (s statHash) Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, storage.ObjectInfo, error) {
	rc, info, err := s.Backend.Get(ctx, key, offset, length)
	info.Hash = s.hash
	return rc, info, err
}
