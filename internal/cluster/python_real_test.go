package cluster_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/testbed"
)

// pyLogins returns the bed's Python Medusa logins (started on first use).
func pyLogins(t *testing.T, b *testbed.ClusterBed) *testbed.PyLogins {
	t.Helper()
	exe := testbed.PyMedusaT(t)
	began := time.Now()
	l, err := b.PythonLogins(t.Context(), exe)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("python logins on port %d (%s)", l.SSHD.Port, time.Since(began).Round(time.Millisecond))
	return l
}

// damage deletes rows and truncates a table through node 3.
func damage(t *testing.T, ctx context.Context, b *testbed.ClusterBed) {
	t.Helper()
	s, err := b.Node(3).NewSession("")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, stmt := range []string{`DELETE FROM fx_shop.users WHERE id IN (4, 5, 6, 200)`, `TRUNCATE fx_logs.lines`} {
		if err := s.Query(stmt).ExecContext(ctx); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

// Python Medusa's backup-cluster, run in node 1's login with the default
// /etc/medusa/medusa.ini (as an operator runs it on a node of real
// hosts), backs up the 3 nodes; our list-backups, status and verify read
// the backup and our restore-cluster restores it in place.
func TestRestoreClusterPythonBackup(t *testing.T) {
	b := testbed.SharedCluster(t)
	py := pyLogins(t, b)
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Minute)
	defer cancel()
	const name = "rc-python"
	writeEverywhere(t, ctx, b, 250)
	began := time.Now()
	out, stderr, err := py.Run(ctx, 1, "backup-cluster", "--backup-name", name, "--temp-dir", testbed.PyLoginTmp)
	if err != nil {
		t.Fatalf("python backup-cluster: %v\n%s\n%s", err, out, b.LogTails(20))
	}
	t.Logf("python medusa backup-cluster of 3 nodes: %s", time.Since(began).Round(100*time.Millisecond))
	if !strings.Contains(stderr, "A new backup "+name+" was created on all nodes.") {
		t.Errorf("python backup-cluster's log lacks the end of the upload phase:\n%s", lastLines(stderr, 30))
	}
	// Each node ran its own backup-node, in a job directory of its own
	// (medusa-wrapper's pid, status, stdout and stderr files).
	for i := range b.Nodes() {
		logs, _ := filepath.Glob(filepath.Join(py.TmpDir(i+1), "medusa-job-*", "stderr"))
		ok := false
		for _, f := range logs {
			data, _ := os.ReadFile(f)
			status, _ := os.ReadFile(filepath.Join(filepath.Dir(f), "status"))
			if strings.Contains(string(data), "backup-node") || strings.Contains(string(data), name) {
				ok = strings.TrimSpace(string(status)) == "0"
			}
		}
		if !ok {
			t.Errorf("node %d: no medusa-wrapper job directory of backup-node %s with status 0 in %s", i+1, name, py.TmpDir(i+1))
		}
	}
	if l := listed(t, ctx, b, name); strings.Contains(l, "Incomplete") {
		t.Errorf("list-backups: %s", l)
	}
	st, _, err := b.Medusa(ctx, "status", "--backup-name", name)
	if err != nil || !strings.Contains(st, "3 nodes completed, 0 nodes incomplete, 0 nodes missing") {
		t.Errorf("status: %v\n%s", err, st)
	}
	verifyOK(t, ctx, b, name)
	if s := snapshotsOf(b, "medusa-"+name); len(s) > 0 {
		t.Errorf("snapshots left: %v", s)
	}

	want := clusterChecksums(t, ctx, b)
	damage(t, ctx, b)
	began = time.Now()
	out, stderr, err = b.Medusa(ctx, "restore-cluster", "--backup-name", name, "-y")
	if err != nil {
		t.Fatalf("restore-cluster of a Python backup: %v\n%s\n%s\n%s", err, out, stderr, b.LogTails(30))
	}
	t.Logf("restore-cluster in place of a Python Medusa backup-cluster: %s", time.Since(began).Round(100*time.Millisecond))
	assertRestored(t, ctx, b, want)
}

// Python Medusa's restore-cluster, run in node 1's login, restores a
// backup of our backup-cluster in place: every node has the backup's rows
// again once the cluster is up.
func TestPythonRestoreClusterOurBackup(t *testing.T) {
	b := testbed.SharedCluster(t)
	py := pyLogins(t, b)
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Minute)
	defer cancel()
	t.Cleanup(func() {
		for i := range b.Nodes() {
			ensureUp(t, b, i+1)
		}
	})
	const name = "rc-ours-python-restore"
	writeEverywhere(t, ctx, b, 220)
	if out, stderr, err := b.Medusa(ctx, "backup-cluster", "--backup-name", name); err != nil {
		t.Fatalf("backup-cluster: %v\n%s\n%s", err, out, stderr)
	}
	want := clusterChecksums(t, ctx, b)
	damage(t, ctx, b)
	began := time.Now()
	_, stderr, err := py.Run(ctx, 1, "restore-cluster", "--backup-name", name, "--seed-target", b.Node(1).Host,
		"--temp-dir", testbed.PyLoginTmp, "-y")
	took := time.Since(began)
	if err != nil {
		t.Fatalf("python restore-cluster: %v\n%s", err, b.LogTails(30))
	}
	t.Logf("python medusa restore-cluster in place: %s", took.Round(100*time.Millisecond))
	if !strings.Contains(stderr, "Restore process is complete") {
		t.Errorf("python restore-cluster's log lacks its end:\n%s", lastLines(stderr, 30))
	}
	if err := b.Cassandra.WaitAllUp(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("3 UN %s after the start", time.Since(began).Round(100*time.Millisecond))
	assertRestored(t, ctx, b, want)
}
