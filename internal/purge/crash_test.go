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
	"github.com/medusa-go/medusa/internal/testbed"
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
	f := testbed.NewLocalBucket(t, "p")
	f.FourBackups()
	f.Backup(testbed.NodeBackupSpec{FQDN: "n1", Name: "full0", Started: testbed.DaysAgo(35), Finished: true, Full: true,
		Files: []string{"ks/t-1/g1", "ks/t-1/g2"}})
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
			before := len(ref.Keys())
			must(t, op.run(t.Context(), executor(ref, false)))
			want := ref.Keys()
			wantMarker := ref.Read(ref.L.LatestBackupNameKey("n1"))
			total := before - len(want)
			if total < 10 {
				t.Fatalf("the clean run deleted only %d keys", total)
			}
			for budget := 0; budget < total; budget++ {
				t.Run(fmt.Sprint("crash after ", budget), func(t *testing.T) {
					f := crashFixture(t)
					e := executor(f, false)
					e.BatchSize = 4
					e.Backend = &crasher{Backend: f.B, budget: budget}
					if err := op.run(t.Context(), e); !errors.Is(err, errCrash) {
						t.Fatalf("interrupted run: %v", err)
					}
					f.CheckComplete()
					err := op.run(t.Context(), executor(f, false))
					if errors.Is(err, layout.ErrBackupNotFound) {
						// Every backup named was gone before the crash: the
						// rerun reports it, and any purge finishes the pool.
						_, err = executor(f, false).Purge(t.Context(), "n1", purge.Policy{})
					}
					must(t, err)
					if got := f.Keys(); !slices.Equal(got, want) {
						t.Fatalf("after the rerun:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
					}
					if got := f.Read(f.L.LatestBackupNameKey("n1")); got != wantMarker {
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
	f := testbed.NewLocalBucket(t, "")
	ctx := t.Context()
	f.Backup(testbed.NodeBackupSpec{FQDN: "n1", Name: "b1", Started: testbed.DaysAgo(40), Finished: true, Files: []string{"ks/t-1/f1", "ks/t-1/f2"}})
	m := f.Backup(testbed.NodeBackupSpec{FQDN: "n1", Name: "b2", Started: testbed.DaysAgo(1), Files: []string{"ks/t-1/f2", "ks/t-1/new"}})
	sum, err := executor(f, false).DeleteBackups(ctx, "n1", []string{"b1"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Backups() != 1 || sum.Postponed() != 2 || sum.WithinGrace() != 1 {
		t.Errorf("summary: %d backups, %d postponed, %d within grace", sum.Backups(), sum.Postponed(), sum.WithinGrace())
	}
	for _, file := range []string{"ks/t-1/f1", "ks/t-1/f2", "ks/t-1/new"} {
		if !f.Exists(f.Pool("n1", file)) {
			t.Errorf("%s deleted while b2 may be running", file)
		}
	}
	// b2 finishes; the next purge deletes what nothing references.
	data := layout.MarshalManifest(m)
	f.Put(f.L.ManifestKey("n1", "b2"), data, testbed.DaysAgo(0.5))
	if _, err := executor(f, false).Purge(ctx, "n1", purge.Policy{}); err != nil {
		t.Fatal(err)
	}
	if f.Exists(f.Pool("n1", "ks/t-1/f1")) || !f.Exists(f.Pool("n1", "ks/t-1/f2")) {
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
	if strings.HasPrefix(prefix, s.f.L.BackupIndexListPrefix()) {
		s.lists++
		if s.lists == 2 {
			s.f.Put(s.f.L.SchemaKey("n1", "b9"), []byte("x"), testbed.Now)
			s.f.Put(s.f.L.IndexTokenmapKey("b9", "n1"), []byte("{}"), testbed.Now)
		}
	}
	return s.Backend.List(ctx, prefix)
}

func TestBackupStartingDuringPurge(t *testing.T) {
	t.Parallel()
	f := testbed.NewLocalBucket(t, "")
	f.Backup(testbed.NodeBackupSpec{FQDN: "n1", Name: "b1", Started: testbed.DaysAgo(40), Finished: true, Files: []string{"ks/t-1/f1"}})
	e := executor(f, false)
	e.Backend = &startingBackup{Backend: f.B, f: f}
	sum, err := e.DeleteBackups(t.Context(), "n1", []string{"b1"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Exists(f.Pool("n1", "ks/t-1/f1")) || sum.Postponed() != 1 ||
		!slices.Equal(sum.Nodes[0].Running, []string{"b9"}) {
		t.Errorf("pool clean-up with a backup starting: postponed %d, running %v", sum.Postponed(), sum.Nodes[0].Running)
	}
	if f.Exists(f.L.SchemaKey("n1", "b1")) {
		t.Error("b1 not deleted")
	}
}

// TestUnreadableManifest: the pool clean-up needs every remaining
// manifest; without one nothing is deleted.
func TestUnreadableManifest(t *testing.T) {
	t.Parallel()
	f := testbed.NewLocalBucket(t, "")
	f.FourBackups()
	f.Put(f.L.ManifestKey("n1", "b3"), []byte("not json"), testbed.DaysAgo(19))
	before := f.Keys()
	if _, err := executor(f, false).Purge(t.Context(), "n1", purge.Policy{MaxCount: 3}); err == nil ||
		!strings.Contains(err.Error(), "nothing was deleted") {
		t.Fatalf("purge with a broken manifest: %v", err)
	}
	if !slices.Equal(before, f.Keys()) {
		t.Error("the bucket changed")
	}
}
