package restore

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// failingFS fails Rename and WriteFile calls matching a predicate.
type failingFS struct {
	DirectFS
	rename func(from, to string) bool
	write  bool
}

func (f *failingFS) Rename(ctx context.Context, from, to string) error {
	if f.rename != nil && f.rename(from, to) {
		return errors.New("injected: rename failed")
	}
	return f.DirectFS.Rename(ctx, from, to)
}

func (f *failingFS) WriteFile(ctx context.Context, path string, data []byte) error {
	if f.write {
		return errors.New("injected: write failed")
	}
	return f.DirectFS.WriteFile(ctx, path, data)
}

// TestRollback fails the restore at each stage after the stop and checks
// that the node's files are exactly as before and Cassandra runs again.
func TestRollback(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stage  Stage
		remote bool
		setup  func(f *fixture, o *Options) FS
	}{
		{name: "start_cmd fails once", stage: StageStart, setup: func(f *fixture, _ *Options) FS {
			f.node.startFails = 1
			return nil
		}},
		{name: "node never passes the health check", stage: StageWaitUp, setup: func(f *fixture, _ *Options) FS {
			f.node.deafStarts = 1
			return nil
		}},
		{name: "verify fails after Cassandra wrote files", stage: StageVerify, remote: true, setup: func(f *fixture, o *Options) FS {
			o.Verify, o.Checks = true, Checks{Query: "SELECT 1", ExpectedRows: 5}
			once := false
			f.node.onStart = func() {
				if once {
					return
				}
				once = true
				// What a starting Cassandra creates: a commit log segment, a
				// system table, a new SSTable in a restored table.
				writeFile(f.t, filepath.Join(f.paths.CommitlogDir, "CommitLog-8-1.log"), "new segment")
				writeFile(f.t, filepath.Join(f.paths.DataDir, "system", "local-7ad5", "nb-1-big-Data.db"), "fresh local")
				writeFile(f.t, filepath.Join(f.paths.DataDir, "system", "paxos-11", "nb-1-big-Data.db"), "paxos")
				writeFile(f.t, filepath.Join(f.paths.DataDir, "ks", "users-1111", "nb-2-big-Data.db"), "flushed")
				writeFile(f.t, filepath.Join(f.paths.SavedCachesDir, "KeyCache-g.db"), "new cache")
			}
			return nil
		}},
		{name: "placing a table fails", stage: StagePlace, setup: func(f *fixture, _ *Options) FS {
			return &failingFS{rename: func(from, to string) bool {
				return strings.Contains(from, "medusa-restore-test") && strings.HasSuffix(to, "orders-2222")
			}}
		}},
		{name: "moving aside fails halfway", stage: StageMoveAside, setup: func(f *fixture, _ *Options) FS {
			return &failingFS{rename: func(_, to string) bool { return strings.HasSuffix(to, "KeyCache-g.db") }}
		}},
		{name: "cassandra.yaml cannot be written", stage: StagePlace, remote: true, setup: func(f *fixture, _ *Options) FS {
			return &failingFS{write: true}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newScenario(t)
			before := f.nodeTree()
			o := f.options()
			o.InPlace = !tc.remote
			d := f.deps()
			if fs := tc.setup(f, &o); fs != nil {
				d.FS = fs
			}
			_, err := runText(t.Context(), d, o, nil)
			var se *StageError
			if !errors.As(err, &se) || se.Stage != tc.stage {
				t.Fatalf("err = %v, want a failure at stage %s", err, tc.stage)
			}
			if !se.RolledBack || !strings.Contains(err.Error(), "the node's data is as it was before the restore") {
				t.Fatalf("not rolled back: %v", err)
			}
			if diff := diffTrees(before, f.nodeTree()); len(diff) > 0 {
				t.Errorf("after the rollback the node's files differ:\n%s", strings.Join(diff, "\n"))
			}
			if !f.node.Up(t.Context()) {
				t.Errorf("Cassandra is not running after the rollback (calls %v)", f.node.Calls())
			}
			f.assertClean()
		})
	}
}

// TestRollbackFailure: when the rollback itself fails, nothing more is
// moved or deleted, and the error names the aside directories and the
// journal, which records every move.
func TestRollbackFailure(t *testing.T) {
	f := newScenario(t)
	o := f.options()
	d := f.deps()
	d.FS = &failingFS{rename: func(from, to string) bool {
		return strings.Contains(from, "medusa-restore-test") && strings.HasSuffix(to, "tables-af") || // placing the last table fails
			strings.Contains(to, filepath.Join("rejected")) // and so does the rollback
	}}
	_, err := runText(t.Context(), d, o, nil)
	var se *StageError
	if !errors.As(err, &se) || se.RolledBack || se.RollbackErr == nil {
		t.Fatalf("err = %v, want a failed rollback", err)
	}
	aside := filepath.Join(f.paths.DataDir, ".medusa-aside-test")
	if !strings.Contains(err.Error(), "ROLLBACK FAILED") || !strings.Contains(err.Error(), aside) ||
		!strings.Contains(err.Error(), se.Journal) {
		t.Errorf("error does not say where the files are: %v", err)
	}
	j, jerr := openJournal(se.Journal)
	if jerr != nil {
		t.Fatal(jerr)
	}
	defer j.close()
	asides := 0
	for _, e := range j.Entries {
		if e.Kind == entryAside && strings.HasPrefix(e.To, aside) {
			asides++
			if !exists(e.To) && !e.Undone {
				t.Errorf("journal says %s is aside but it is not there", e.To)
			}
		}
	}
	if asides != 8 {
		t.Errorf("journal lists %d table directories aside, want 8", asides)
	}
}

// TestCancelAfterStopRollsBack: a cancelled context after the stop still
// rolls everything back.
func TestCancelAfterStopRollsBack(t *testing.T) {
	f := newScenario(t)
	before := f.nodeTree()
	ctx, cancel := context.WithCancel(t.Context())
	d := f.deps()
	d.Node = &cancellingNode{fakeNode: f.node, cancel: cancel}
	_, err := runText(ctx, d, f.options(), nil)
	var se *StageError
	if !errors.As(err, &se) || !se.RolledBack || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want a rolled-back cancellation", err)
	}
	if diff := diffTrees(before, f.nodeTree()); len(diff) > 0 {
		t.Errorf("node files differ: %v", diff)
	}
	if !f.node.Up(t.Context()) {
		t.Error("Cassandra not running after the rollback")
	}
}

// cancellingNode cancels the restore's context once Cassandra stopped.
type cancellingNode struct {
	*fakeNode
	cancel context.CancelFunc
}

func (n *cancellingNode) Stop(ctx context.Context) error {
	err := n.fakeNode.Stop(ctx)
	n.cancel()
	return err
}
