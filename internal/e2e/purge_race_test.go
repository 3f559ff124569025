package e2e

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/purge"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/storagetest"
	"github.com/medusa-go/medusa/internal/testbed"
)

// pauser holds a backup after it uploaded `after` files into the pool,
// until release is closed.
type pauser struct {
	storage.Backend
	pool    string
	after   int
	mu      sync.Mutex
	n       int
	paused  chan struct{}
	release chan struct{}
}

func (p *pauser) Put(ctx context.Context, key string, src storage.Source) (storage.ObjectInfo, error) {
	info, err := p.Backend.Put(ctx, key, src)
	if err != nil || !strings.HasPrefix(key, p.pool) {
		return info, err
	}
	p.mu.Lock()
	p.n++
	hold := p.n == p.after
	p.mu.Unlock()
	if hold {
		close(p.paused)
		select {
		case <-p.release:
		case <-ctx.Done():
			return info, ctx.Err()
		}
	}
	return info, nil
}

func (p *pauser) Unwrap() storage.Backend { return p.Backend }

// TestPurgeRacingBackup (#363): a differential backup is held in the
// middle of its upload; delete-backup removes every other backup of the
// node, whose pool files are older than the grace period (set back 20
// days) and which the running backup reuses. No file of the running backup
// may be deleted: it finishes, verifies, and a later purge removes what
// nothing references any more.
func TestPurgeRacingBackup(t *testing.T) {
	n := testNode(t)
	for _, open := range purgeTargets(t) {
		tg := open(t)
		t.Run(tg.name, func(t *testing.T) {
			prefix := "race"
			m := newPurgeMedusa(t, tg, n, prefix, nil)
			f := testbed.NewBucket(t, tg.b, tg.root, prefix)
			changeData(t, n, 30, false)
			m.must("backup", "--backup-name", "r1")
			changeData(t, n, 30, false)
			m.must("backup", "--backup-name", "r2")
			old := time.Now().Add(-20 * 24 * time.Hour)
			for _, k := range poolKeys(t, f, n.Host) {
				f.Touch(k, old)
				if info, err := f.B.Stat(t.Context(), k); err != nil || info.ModTime.Unix() != old.Unix() {
					t.Fatalf("setting the LastModified of %s back: %+v, %v", k, info, err)
				}
			}
			// The node's files are as old as their copies: a differential
			// backup reuses a stored copy only if it is not older than the
			// file (docs/differential-reuse.md).
			ageFiles(t, n.DataDir, old.Add(-time.Hour))

			changeData(t, n, 30, true)
			p := &pauser{pool: f.L.PoolPrefix(n.Host), after: 1, paused: make(chan struct{}), release: make(chan struct{})}
			bm := newPurgeMedusa(t, tg, n, prefix, nil)
			bm.wrap = func(b storage.Backend) storage.Backend { p.Backend = b; return p }
			done := make(chan string, 1)
			go func() {
				out, code := bm.run("backup", "--backup-name", "r3")
				if code != 0 {
					done <- fmt.Sprintf("exit %d\n%s", code, out)
					return
				}
				done <- ""
			}()
			select {
			case <-p.paused:
			case out := <-done:
				t.Fatalf("backup r3 ended before uploading a file:\n%s", out)
			}
			out, code := m.run("delete-backup", "--backup-name", "r1", "--backup-name", "r2")
			close(p.release)
			if msg := <-done; msg != "" {
				t.Fatalf("backup r3 failed:\n%s", msg)
			}
			if code != 0 || !strings.Contains(out, "Backups purged: 2") || !strings.Contains(out, "may still be running") {
				t.Fatalf("delete-backup during backup r3 exited %d:\n%s", code, out)
			}
			r3 := paths(manifestOf(t, f, n.Host, "r3"))
			reusedOld := 0
			for k := range r3 {
				info, err := f.B.Stat(t.Context(), k)
				if err != nil {
					t.Errorf("%s of the running backup r3 was deleted: %v", k, err)
				} else if info.ModTime.Before(time.Now().Add(-10 * 24 * time.Hour)) {
					reusedOld++
				}
			}
			if reusedOld == 0 {
				t.Fatal("r3 reused no file older than the grace period: the race is not exercised")
			}
			if out := m.must("verify", "--backup-name", "r3"); !strings.Contains(out, "Manifest validated: OK!!") {
				t.Errorf("verify r3:\n%s", out)
			}
			// Once r3 finished, purge removes the files only r1 and r2 used.
			stale := 0
			for _, k := range poolKeys(t, f, n.Host) {
				if _, ok := r3[k]; !ok {
					stale++
				}
			}
			out = m.must("purge")
			if stale == 0 || countPool(f, n.Host) != len(r3) {
				t.Errorf("after purge: %d pool objects, r3 names %d (%d were stale):\n%s",
					countPool(f, n.Host), len(r3), stale, out)
			}
			m.must("verify", "--backup-name", "r3")
		})
	}
}

func poolKeys(t testing.TB, f *testbed.Bucket, fqdn string) []string {
	t.Helper()
	var out []string
	for o, err := range f.B.List(t.Context(), f.L.PoolPrefix(fqdn)) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, o.Key)
	}
	return out
}

func countPool(f *testbed.Bucket, fqdn string) int { return len(poolKeys(f.T, f, fqdn)) }

// TestPurgeIncompleteBackup: a backup whose upload died before its manifest
// does not count toward max_backup_count (#607), is kept while it may be
// running, and is removed once older than the grace period, with the pool
// files only it uploaded.
func TestPurgeIncompleteBackup(t *testing.T) {
	n := testNode(t)
	for _, open := range purgeTargets(t) {
		tg := open(t)
		t.Run(tg.name, func(t *testing.T) {
			prefix := "incomplete"
			m := newPurgeMedusa(t, tg, n, prefix, map[string]string{"max_backup_count": "2"})
			f := testbed.NewBucket(t, tg.b, tg.root, prefix)
			changeData(t, n, 30, false)
			m.must("backup", "--backup-name", "i1")
			changeData(t, n, 30, false)
			m.must("backup", "--backup-name", "i2")
			before := map[string]bool{}
			for _, k := range poolKeys(t, f, n.Host) {
				before[k] = true
			}
			changeData(t, n, 30, false)
			km := newPurgeMedusa(t, tg, n, prefix, nil)
			km.wrap = func(b storage.Backend) storage.Backend {
				fl := storagetest.NewFaulty(b)
				fl.Inject(storagetest.Fault{Op: storagetest.OpPut, Key: f.L.ManifestKey(n.Host, "i3"),
					Err: errors.New("killed")})
				return fl
			}
			if out, code := km.run("backup", "--backup-name", "i3"); code == 0 {
				t.Fatalf("backup i3 without its manifest succeeded:\n%s", out)
			}
			var onlyI3 []string
			for _, k := range poolKeys(t, f, n.Host) {
				if !before[k] {
					onlyI3 = append(onlyI3, k)
				}
			}
			if len(onlyI3) == 0 {
				t.Fatal("i3 uploaded nothing")
			}
			// Three backups, max_backup_count = 2: Medusa would delete i1.
			out := m.must("purge")
			if !strings.Contains(out, "Backups purged: 0") || !f.Exists(f.L.SchemaKey(n.Host, "i1")) ||
				!f.Exists(f.L.SchemaKey(n.Host, "i3")) {
				t.Fatalf("purge with an incomplete backup within the grace period:\n%s", out)
			}
			// Eleven days later, i3 cannot be running any more.
			e := &purge.Executor{Backend: tg.b, Prefix: prefix, GraceDays: 10,
				Now: func() time.Time { return time.Now().Add(11 * 24 * time.Hour) }}
			sum, err := e.Purge(t.Context(), n.Host, purge.Policy{MaxCount: 2})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Backups() != 1 || sum.Nodes[0].Backups[0].Backup.Name != "i3" ||
				sum.Nodes[0].Backups[0].Reason != purge.ReasonStale {
				t.Fatalf("purged %+v", sum.Nodes)
			}
			for _, k := range onlyI3 {
				if f.Exists(k) {
					t.Errorf("%s, uploaded only by i3, still exists", k)
				}
			}
			if f.Exists(f.L.SchemaKey(n.Host, "i3")) {
				t.Error("i3 still exists")
			}
			for _, name := range []string{"i1", "i2"} {
				m.must("verify", "--backup-name", name)
			}
		})
	}
}

// ageFiles sets the modification time of every file under dir to at.
func ageFiles(t *testing.T, dir string, at time.Time) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // compacted away meanwhile
		}
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		if err := os.Chtimes(p, at, at); !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatalf("set the files of %s back to %s: %v", dir, at, err)
	}
}
