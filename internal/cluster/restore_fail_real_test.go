package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"strings"
	"testing"

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
	s, err := b.Node(1).NewSession("")
	if err != nil {
		t.Fatal(err)
	}
	err = s.Query(`DELETE FROM fx_shop.users WHERE id IN (10, 11, 12)`).ExecContext(ctx)
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	before := clusterChecksums(t, ctx, b)
	pids := []int{b.Node(1).PID(), b.Node(2).PID(), b.Node(3).PID()}

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
