package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/restore"
	"github.com/medusa-go/medusa/internal/testbed"
)

// nodeFailsMidRestore runs restore-cluster of backup name while node 2's
// restore-node fails for real after every node's restore-node started:
// its download directory ($TMPDIR of its logins) is a file. The others,
// downloading meanwhile, are aborted at the stop gate. The operator gets a
// non-zero exit, node 2 named with its own error and the command to run on
// it, and nodes 1 and 3 named as unchanged; every node keeps its PID (never
// stopped) and its rows (checksums before and after, each node on its own).
func nodeFailsMidRestore(t *testing.T, ctx context.Context, b *testbed.ClusterBed, name string) {
	// The live data must differ from the backup, so that a restore done
	// on some nodes would show.
	before, pids := divergeFromBackup(t, ctx, b, "10, 11, 12")

	tmp := b.TmpDir(2)
	if err := os.Rename(tmp, tmp+".aside"); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = os.Remove(tmp)
		if err := os.Rename(tmp+".aside", tmp); err != nil {
			t.Errorf("put node 2's TMPDIR back: %v", err)
		}
	}()
	if err := os.WriteFile(tmp, []byte("not a directory\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	out, stderr, err := b.Medusa(ctx, "restore-cluster", "--backup-name", name, "-y")
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("restore-cluster with node 2 failing: %v, want a non-zero exit\n%s\n%s", err, out, stderr)
	}
	t.Logf("restore-cluster exit code %d; its error:\n%s", exit.ExitCode(), lastLines(stderr, 12))
	n1, n2, n3 := b.Node(1).Host, b.Node(2).Host, b.Node(3).Host
	for _, w := range []string{
		"restore-cluster " + name + ": 1 of 3 nodes failed",
		"\n  " + n2 + " (backup of " + n2 + "): ",
		"Stopped by restore-cluster before Cassandra was stopped there, nothing changed: " + n1 + ", " + n3,
		"\n  " + n2 + ": medusa --fqdn " + n2 + " restore-node --backup-name " + name + " --in-place",
	} {
		if !strings.Contains(stderr, w) {
			t.Errorf("restore-cluster's error lacks %q:\n%s", w, stderr)
		}
	}
	if now := []int{b.Node(1).PID(), b.Node(2).PID(), b.Node(3).PID()}; fmt.Sprint(now) != fmt.Sprint(pids) {
		t.Errorf("Cassandra PIDs %v became %v: a node was stopped", pids, now)
	}
	status, err := b.Node(1).Nodetool(ctx, "status")
	if err != nil {
		t.Fatal(err)
	}
	if n := testbed.CountUN(status); n != 3 {
		t.Errorf("nodetool status shows %d UN, want 3:\n%s", n, status)
	}
	for i, got := range clusterChecksums(t, ctx, b) {
		if !maps.Equal(got, before[i]) {
			t.Errorf("%s: checksums changed by the failed restore:\nbefore %v\nafter  %v", b.Hosts()[i], before[i], got)
		}
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// nodeFailsAfterStop runs restore-cluster of backup name while node 2's
// restore-node fails for real after its Cassandra was stopped: once node 2
// reports its download checked (ready at the stop gate), one of its
// downloaded table directories disappears from its download directory (as
// a temporary-file cleaner would do), so that moving it into place fails.
// Node 2 reports the failure at once and rolls itself back; nodes 1 and 3,
// held at the start gate with the backup's files in place, are aborted,
// rolled back and started again; node 2 starts once seed node 1 is up. The operator gets exit 1 naming node 2 with its own error;
// every node was stopped (new PIDs), all 3 are UN and every node's
// checksums are its own from before.
func nodeFailsAfterStop(t *testing.T, ctx context.Context, b *testbed.ClusterBed, name string) {
	before, pids := divergeFromBackup(t, ctx, b, "20, 21, 22")
	n1, n2, n3 := b.Node(1).Host, b.Node(2).Host, b.Node(3).Host

	stolen := filepath.Join(b.Dir, "node2-stolen-download")
	defer os.RemoveAll(stolen)
	var once sync.Once
	var took string
	var stealErr error
	began := time.Now()
	out, stderr, err := medusaStreamStdout(ctx, b, func(line string) {
		if strings.HasPrefix(line, "["+n2+"] ") && strings.Contains(line, restore.GateMarker+" "+restore.GateStop+" ") {
			once.Do(func() { took, stealErr = stealStaged(b.TmpDir(2), "fx_shop", "users", stolen) })
		}
	}, "restore-cluster", "--backup-name", name, "-y")
	elapsed := time.Since(began)
	if stealErr != nil || took == "" {
		t.Fatalf("take node 2's downloaded fx_shop.users away at its stop gate: %v (done: %v)\n%s\n%s", stealErr,
			took != "", out, stderr)
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("restore-cluster with node 2 failing after its stop: %v, want exit 1\n%s\n%s\n%s", err, out, stderr,
			b.LogTails(30))
	}
	t.Logf("restore-cluster with node 2 failing after its stop: exit 1 after %s; its error:\n%s",
		elapsed.Round(100*time.Millisecond), lastLines(stderr, 14))
	for _, w := range []string{
		"restore-cluster " + name + ": 1 of 3 nodes failed",
		"\n  " + n2 + " (backup of " + n2 + "): ",
		"ERROR: Restore failed on " + n2 + " after its stop: it rolls back; stopping the restore on every node",
		"restore failed at stage place: move fx_shop.users-",
		"; rolled back: what was moved aside was put back and Cassandra runs again",
		"Stopped by restore-cluster before starting: rolled back to the data they had before the restore and " +
			"started again (their own lines say if that failed): " + n1 + ", " + n3,
		"\n  " + n2 + ": medusa --fqdn " + n2 + " restore-node --backup-name " + name + " --in-place",
	} {
		if !strings.Contains(stderr, w) {
			t.Errorf("restore-cluster's error lacks %q:\n%s", w, stderr)
		}
	}
	if strings.Contains(stderr, "\n  "+n1+" (backup of") || strings.Contains(stderr, "\n  "+n3+" (backup of") {
		t.Errorf("restore-cluster names node 1 or 3 as failed on its own:\n%s", stderr)
	}
	for i, pid := range []int{b.Node(1).PID(), b.Node(2).PID(), b.Node(3).PID()} {
		if pid == 0 || pid == pids[i] {
			t.Errorf("%s: Cassandra process %d before, %d after: it was not stopped and started again",
				b.Hosts()[i], pids[i], pid)
		}
	}
	status, err := b.Node(1).Nodetool(ctx, "status")
	if err != nil {
		t.Fatal(err)
	}
	if n := testbed.CountUN(status); n != 3 {
		t.Errorf("nodetool status shows %d UN, want 3:\n%s", n, status)
	}
	for i, got := range clusterChecksums(t, ctx, b) {
		if !maps.Equal(got, before[i]) {
			t.Errorf("%s: checksums changed by the rolled-back restore:\nbefore %v\nafter  %v", b.Hosts()[i], before[i], got)
		}
	}
}

// stealStaged moves table ks.table out of the download directory of the
// restore running with TMPDIR tmp, to dst; it returns what it moved.
func stealStaged(tmp, ks, table, dst string) (string, error) {
	m, err := filepath.Glob(filepath.Join(tmp, "medusa-restore-*", ks, table+"-*"))
	if err != nil || len(m) != 1 {
		return "", fmt.Errorf("%d downloaded directories of %s.%s under %s (%v)", len(m), ks, table, tmp, err)
	}
	return m[0], os.Rename(m[0], dst)
}

// divergeFromBackup deletes rows ids of fx_shop.users (so that a restore
// done on some nodes would show) and returns every node's checksums and
// Cassandra PID from then.
func divergeFromBackup(t *testing.T, ctx context.Context, b *testbed.ClusterBed, ids string) ([]map[string]string, []int) {
	t.Helper()
	s, err := b.Node(1).NewSession("")
	if err != nil {
		t.Fatal(err)
	}
	err = s.Query(`DELETE FROM fx_shop.users WHERE id IN (` + ids + `)`).ExecContext(ctx)
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	return clusterChecksums(t, ctx, b), []int{b.Node(1).PID(), b.Node(2).PID(), b.Node(3).PID()}
}
