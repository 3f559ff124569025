package purge_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/purge"
	"github.com/medusa-go/medusa/internal/storage"
)

var errCrash = errors.New("injected crash")

// crasher deletes at most budget keys in total, then fails: the batch
// that crosses the budget is deleted only up to it, like a process that
// dies in the middle of a DeleteObjects call.
type crasher struct {
	storage.Backend
	mu     sync.Mutex
	budget int
}

func (c *crasher) DeleteMany(ctx context.Context, keys []string) error {
	c.mu.Lock()
	n := min(c.budget, len(keys))
	c.budget -= n
	c.mu.Unlock()
	if err := c.Backend.DeleteMany(ctx, keys[:n]); err != nil {
		return err
	}
	if n < len(keys) {
		return errCrash
	}
	return nil
}

func (c *crasher) Delete(ctx context.Context, key string) error {
	return c.DeleteMany(ctx, []string{key})
}

// crashFixture: four differential backups, a full one, all old.
func crashFixture(t *testing.T) *fx {
	f := newFx(t, "p")
	fourBackups(f)
	f.backup(spec{fqdn: "n1", name: "full0", started: daysAgo(35), finished: true, full: true,
		files: []string{"ks/t-1/g1", "ks/t-1/g2"}})
	return f
}

// TestInterruptedPurge crashes a purge after every possible number of
// deleted keys. At every crash point no backup may list as complete with
// missing files, and a rerun must leave the bucket exactly as an
// uninterrupted purge does. delete-backup of the latest backup is checked
// the same way (it also moves the latest marker).
func TestInterruptedPurge(t *testing.T) {
	t.Parallel()
	ops := []struct {
		name string
		run  func(ctx context.Context, e *purge.Executor) error
	}{
		{"purge", func(ctx context.Context, e *purge.Executor) error {
			_, err := e.Purge(ctx, "n1", purge.Policy{MaxAgeDays: 25, MaxCount: 3})
			return err
		}},
		{"delete-backup", func(ctx context.Context, e *purge.Executor) error {
			_, err := e.DeleteBackups(ctx, "n1", []string{"b4", "full0"}, true)
			return err
		}},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			ref := crashFixture(t)
			before := len(ref.keys())
			must(t, op.run(t.Context(), ref.executor(false)))
			want := ref.keys()
			wantMarker := ref.read(ref.l.LatestBackupNameKey("n1"))
			total := before - len(want)
			if total < 10 {
				t.Fatalf("the clean run deleted only %d keys", total)
			}
			for budget := 0; budget < total; budget++ {
				t.Run(fmt.Sprint("crash after ", budget), func(t *testing.T) {
					f := crashFixture(t)
					e := f.executor(false)
					e.BatchSize = 4
					e.Backend = &crasher{Backend: f.b, budget: budget}
					if err := op.run(t.Context(), e); !errors.Is(err, errCrash) {
						t.Fatalf("interrupted run: %v", err)
					}
					f.checkComplete()
					err := op.run(t.Context(), f.executor(false))
					if errors.Is(err, layout.ErrBackupNotFound) {
						// Every backup named was gone before the crash: the
						// rerun reports it, and any purge finishes the pool.
						_, err = f.executor(false).Purge(t.Context(), "n1", purge.Policy{})
					}
					must(t, err)
					if got := f.keys(); !slices.Equal(got, want) {
						t.Fatalf("after the rerun:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
					}
					if got := f.read(f.l.LatestBackupNameKey("n1")); got != wantMarker {
						t.Errorf("latest marker %q, want %q", got, wantMarker)
					}
				})
			}
		})
	}
}

// TestRunningBackupPostponesPoolCleanup: an unfinished backup started
// within the grace period may be running and reusing old pool objects
// that only its future manifest will name.
func TestRunningBackupPostponesPoolCleanup(t *testing.T) {
	t.Parallel()
	f := newFx(t, "")
	ctx := t.Context()
	f.backup(spec{fqdn: "n1", name: "b1", started: daysAgo(40), finished: true, files: []string{"ks/t-1/f1", "ks/t-1/f2"}})
	m := f.backup(spec{fqdn: "n1", name: "b2", started: daysAgo(1), files: []string{"ks/t-1/f2", "ks/t-1/new"}})
	sum, err := f.executor(false).DeleteBackups(ctx, "n1", []string{"b1"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Backups() != 1 || sum.Postponed() != 2 || sum.WithinGrace() != 1 {
		t.Errorf("summary: %d backups, %d postponed, %d within grace", sum.Backups(), sum.Postponed(), sum.WithinGrace())
	}
	for _, file := range []string{"ks/t-1/f1", "ks/t-1/f2", "ks/t-1/new"} {
		if !f.exists(f.pool("n1", file)) {
			t.Errorf("%s deleted while b2 may be running", file)
		}
	}
	// b2 finishes; the next purge deletes what nothing references.
	data := layout.MarshalManifest(m)
	f.put(f.l.ManifestKey("n1", "b2"), data, daysAgo(0.5))
	if _, err := f.executor(false).Purge(ctx, "n1", purge.Policy{}); err != nil {
		t.Fatal(err)
	}
	if f.exists(f.pool("n1", "ks/t-1/f1")) || !f.exists(f.pool("n1", "ks/t-1/f2")) {
		t.Error("pool after b2 finished: f1 must go, f2 stay")
	}
}

// startingBackup writes the first objects of a new backup of n1 on the
// second listing of the backup index: one that starts while a purge runs.
type startingBackup struct {
	storage.Backend
	f     *fx
	lists int
}

func (s *startingBackup) List(ctx context.Context, prefix string) iter.Seq2[storage.ObjectInfo, error] {
	if strings.HasPrefix(prefix, s.f.l.BackupIndexListPrefix()) {
		s.lists++
		if s.lists == 2 {
			s.f.put(s.f.l.SchemaKey("n1", "b9"), []byte("x"), now)
			s.f.put(s.f.l.IndexTokenmapKey("b9", "n1"), []byte("{}"), now)
		}
	}
	return s.Backend.List(ctx, prefix)
}

func TestBackupStartingDuringPurge(t *testing.T) {
	t.Parallel()
	f := newFx(t, "")
	f.backup(spec{fqdn: "n1", name: "b1", started: daysAgo(40), finished: true, files: []string{"ks/t-1/f1"}})
	e := f.executor(false)
	e.Backend = &startingBackup{Backend: f.b, f: f}
	sum, err := e.DeleteBackups(t.Context(), "n1", []string{"b1"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if !f.exists(f.pool("n1", "ks/t-1/f1")) || sum.Postponed() != 1 ||
		!slices.Equal(sum.Nodes[0].Running, []string{"b9"}) {
		t.Errorf("pool clean-up with a backup starting: postponed %d, running %v", sum.Postponed(), sum.Nodes[0].Running)
	}
	if f.exists(f.l.SchemaKey("n1", "b1")) {
		t.Error("b1 not deleted")
	}
}

// TestUnreadableManifest: the pool clean-up needs every remaining
// manifest; without one nothing is deleted.
func TestUnreadableManifest(t *testing.T) {
	t.Parallel()
	f := newFx(t, "")
	fourBackups(f)
	f.put(f.l.ManifestKey("n1", "b3"), []byte("not json"), daysAgo(19))
	before := f.keys()
	if _, err := f.executor(false).Purge(t.Context(), "n1", purge.Policy{MaxCount: 3}); err == nil ||
		!strings.Contains(err.Error(), "nothing was deleted") {
		t.Fatalf("purge with a broken manifest: %v", err)
	}
	if !slices.Equal(before, f.keys()) {
		t.Error("the bucket changed")
	}
}
