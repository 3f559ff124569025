package restore

import (
	"bytes"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStaleDownloadRemoved: a download a killed restore left in the
// temporary directory would make the free-space check fail; the next
// restore removes it first (it holds the directory's restore lock) and
// says so.
func TestStaleDownloadRemoved(t *testing.T) {
	f := newScenario(t)
	stale := filepath.Join(f.temp, "medusa-restore-dead", "ks", "users-1111")
	writeFile(t, filepath.Join(stale, "nb-1-big-Data.db"), strings.Repeat("x", 4000))
	d := f.deps()
	var log bytes.Buffer
	d.Logger = slog.New(slog.NewTextHandler(&log, nil))
	// 4 KiB free plus whatever the stale download takes.
	d.Space = func(string) (uint64, uint64, error) { return 4096 - uint64(treeSize(f.temp)) + 4000, 1, nil }
	if _, err := Run(t.Context(), d, f.options()); err != nil {
		t.Fatal(err)
	}
	if exists(filepath.Dir(filepath.Dir(stale))) {
		t.Error("the stale download is still there")
	}
	if !strings.Contains(log.String(), "left in "+f.temp+" by interrupted restores") {
		t.Errorf("the removal was not reported:\n%s", log.String())
	}
	f.assertClean()
}

// TestSpaceErrorNamesLeftovers: a shortfall names the directory, the
// bytes needed and free, and what interrupted restores left there with
// the command that removes it.
func TestSpaceErrorNamesLeftovers(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, ".medusa-aside-old", "ks", "t-1", "nb-1-big-Data.db"), strings.Repeat("y", 1234))
	err := checkSpace([]spaceNeed{{Dir: dir, What: "download", Bytes: 5000, Free: 1000}})
	for _, want := range []string{dir + ": needs 5000 bytes", "1000 bytes (1000.00 B) free", "4000 bytes", "1234 bytes",
		"rm -rf " + filepath.Join(dir, ".medusa-aside-old")} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}

// TestRecoverLeftoversAndRunningRestore: aside directories without a
// journal are removed when empty and old, reported when they hold files;
// a journal locked by a live restore stops the recovery without touching
// anything.
func TestRecoverLeftoversAndRunningRestore(t *testing.T) {
	f := newScenario(t)
	empty := filepath.Join(f.paths.CommitlogDir, ".medusa-aside-empty")
	mustMkdir(t, filepath.Join(empty, "sub"))
	full := filepath.Join(f.paths.DataDir, ".medusa-aside-full")
	writeFile(t, filepath.Join(full, "ks", "t-1", "nb-1-big-Data.db"), "only copy")
	out, err := f.recover(f.deps())
	if err != nil {
		t.Fatal(err)
	}
	if exists(empty) || !exists(full) {
		t.Errorf("empty removed: %v, full kept: %v", !exists(empty), exists(full))
	}
	if msg := out.Message(); !strings.Contains(msg, "rm -rf "+full) {
		t.Errorf("message %q does not report %s", msg, full)
	}
	if calls := f.node.Calls(); len(calls) != 0 {
		t.Errorf("node touched: %v", calls)
	}

	// A recent empty directory may be a restore starting: kept.
	fresh := filepath.Join(f.paths.SavedCachesDir, ".medusa-aside-fresh")
	mustMkdir(t, fresh)
	if _, err := Recover(t.Context(), f.deps(), RecoverOptions{Node: f.paths, ManageCassandra: true}); err != nil || !exists(fresh) {
		t.Errorf("fresh empty aside directory: err %v, kept %v", err, exists(fresh))
	}

	live := filepath.Join(f.paths.DataDir, ".medusa-aside-live")
	mustMkdir(t, live)
	j, err := createJournal(filepath.Join(live, journalName), header{Backup: "b1", Started: time.Now(),
		Asides: map[string]string{f.paths.DataDir: live}, ManageCassandra: true})
	if err != nil {
		t.Fatal(err)
	}
	defer j.close()
	if err := j.mark(stateStopping); err != nil {
		t.Fatal(err)
	}
	before := f.nodeTree()
	_, err = f.recover(f.deps())
	if !errors.Is(err, ErrRestoreRunning) {
		t.Fatalf("err = %v, want ErrRestoreRunning", err)
	}
	if d := diffTrees(before, f.nodeTree()); len(d) > 0 || len(f.node.Calls()) != 0 {
		t.Errorf("a running restore's files or node were touched: %v %v", d, f.node.Calls())
	}
	if !Pending(f.paths) {
		t.Error("Pending does not see the aside directories")
	}
}

// TestEarlierAsideKept: what an earlier restore kept aside in the commit
// log directory (segments of a node that could not be drained) is neither
// moved nor removed by the next restore, and is reported.
func TestEarlierAsideKept(t *testing.T) {
	f := newScenario(t)
	kept := filepath.Join(f.paths.CommitlogDir, ".medusa-aside-earlier", "CommitLog-7-1.log")
	writeFile(t, kept, "the only copy of late writes")
	if _, err := f.run(f.options()); err != nil {
		t.Fatal(err)
	}
	if !exists(kept) {
		t.Fatal("the restore removed what an earlier one kept aside")
	}
	out, err := f.recover(f.deps())
	if err != nil || !strings.Contains(out.Message(), "rm -rf "+filepath.Dir(kept)) {
		t.Errorf("recovery: %q, %v; want the earlier aside directory reported", out.Message(), err)
	}
}
