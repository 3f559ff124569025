package restore

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"
)

var errCrash = errors.New("injected crash")

// crashingDeps returns deps whose file changes and journal writes crash
// (panic errCrash) after the first after ones; after < 0 never crashes.
// count reports how many were made.
func crashingDeps(f *fixture, after int) (d Deps, count func() int) {
	d = f.deps()
	ffs := &faultFS{FS: DirectFS{}, after: after, crash: func() { panic(errCrash) }}
	if after < 0 {
		ffs.after = 1 << 30
	}
	d.FS = ffs
	d.beforeJournalWrite = ffs.step
	return d, func() int { ffs.mu.Lock(); defer ffs.mu.Unlock(); return ffs.n }
}

// crashes runs fn and reports whether it crashed with errCrash.
func crashes(t *testing.T, fn func()) (crashed bool) {
	t.Helper()
	defer func() {
		if v := recover(); v != nil {
			if v != errCrash {
				panic(v)
			}
			crashed = true
		}
	}()
	fn()
	return false
}

// recover runs Recover on the fixture node as if an hour later (empty
// aside directories count as old).
func (f *fixture) recover(d Deps) (*Outcome, error) {
	d.Now = func() time.Time { return time.Now().Add(time.Hour) }
	o := f.options()
	return Recover(f.t.Context(), d, RecoverOptions{Node: f.paths, ManageCassandra: true, Waits: o.Waits})
}

// TestInterruptedRestore kills a restore (a panic standing for SIGKILL:
// nothing after it runs but the deferred release of locks, like a dead
// process's) after every possible number of changes to the node's files
// and journal writes, then kills the recovery itself after a few changes,
// and recovers again. The node's files must then be exactly as before the
// restore or exactly as after a successful one, Cassandra must run, and
// nothing of the restore may be left.
func TestInterruptedRestore(t *testing.T) {
	for _, remote := range []bool{false, true} {
		t.Run(fmt.Sprint("remote=", remote), func(t *testing.T) {
			ref := newScenario(t)
			before := ref.nodeTree()
			d, count := crashingDeps(ref, -1)
			o := ref.options()
			o.InPlace = !remote
			if _, err := Run(t.Context(), d, o); err != nil {
				t.Fatal(err)
			}
			after := ref.nodeTree()
			total := count()
			if total < 30 {
				t.Fatalf("a restore made only %d changes", total)
			}
			outcomes := map[string]int{}
			for k := 0; k < total; k++ {
				t.Run(fmt.Sprint("crash after ", k), func(t *testing.T) {
					f := newScenario(t)
					d, _ := crashingDeps(f, k)
					o := f.options()
					o.InPlace = !remote
					var rerr error
					if !crashes(t, func() { _, rerr = Run(t.Context(), d, o) }) {
						t.Fatalf("no crash after %d changes: %v", k, rerr)
					}
					rd, _ := crashingDeps(f, k%5)
					var msgs []string
					crashes(t, func() {
						out, _ := f.recover(rd)
						msgs = append(msgs, out.Message())
					})
					out, err := f.recover(f.deps())
					if err != nil {
						t.Fatalf("recovery: %v", err)
					}
					for _, m := range append(msgs, out.Message()) {
						switch {
						case strings.HasPrefix(m, "rolled back an interrupted"):
							outcomes["said rolled back"]++
						case strings.HasPrefix(m, "completed an interrupted"), strings.HasPrefix(m, "finished an interrupted"):
							outcomes["said completed"]++
						}
					}
					got := f.nodeTree()
					switch {
					case maps.Equal(got, before):
						outcomes["before"]++
					case maps.Equal(got, after):
						outcomes["after"]++
					default:
						t.Errorf("after recovery the node holds neither the files before nor those of the backup:\n"+
							"vs before:\n%s\nvs restored:\n%s", strings.Join(diffTrees(before, got), "\n"),
							strings.Join(diffTrees(after, got), "\n"))
					}
					if !f.node.Up(t.Context()) {
						t.Errorf("Cassandra does not run after the recovery (calls %v)", f.node.Calls())
					}
					f.assertClean()
					if again, err := f.recover(f.deps()); err != nil || again.Message() != "" {
						t.Errorf("a second recovery found something: %q, %v", again.Message(), err)
					}
				})
			}
			for _, k := range []string{"before", "after", "said rolled back", "said completed"} {
				if outcomes[k] == 0 {
					t.Errorf("outcomes %v: want rollbacks and completions, each said", outcomes)
				}
			}
		})
	}
}

// TestKilledBeforeStartCompletes: killed once every file was placed (the
// start stage begins), the restore is completed by the recovery, which
// starts Cassandra and says so.
func TestKilledBeforeStartCompletes(t *testing.T) {
	ref := newScenario(t)
	if _, err := ref.run(ref.options()); err != nil {
		t.Fatal(err)
	}
	after := ref.nodeTree()
	f := newScenario(t)
	d := f.deps()
	d.FS = &faultFS{FS: DirectFS{}, stage: string(StageStart), crash: func() { panic(errCrash) }}
	if !crashes(t, func() { _, _ = Run(t.Context(), d, f.options()) }) {
		t.Fatal("no crash at the start stage")
	}
	if f.node.Up(t.Context()) {
		t.Fatal("the node runs before the recovery")
	}
	out, err := f.recover(f.deps())
	if err != nil || !strings.HasPrefix(out.Message(), "completed an interrupted restore of backup b1") {
		t.Fatalf("recovery: %q, %v", out.Message(), err)
	}
	if d := diffTrees(after, f.nodeTree()); len(d) > 0 {
		t.Errorf("the node's files differ from a completed restore's: %v", d)
	}
	if calls := f.node.Calls(); calls[len(calls)-1] != "start" || !f.node.Up(t.Context()) {
		t.Errorf("Cassandra not started by the recovery: %v", calls)
	}
	f.assertClean()
}
