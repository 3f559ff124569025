package cluster_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/testbed"
)

var fixtureKeyspaces = []string{"fx_shop", "fx_logs"}

// clusterChecksums returns each node's view of every fixture table
// (TableChecksums through a session to that node alone).
func clusterChecksums(t *testing.T, ctx context.Context, b *testbed.ClusterBed) []map[string]string {
	t.Helper()
	var out []map[string]string
	for _, n := range b.Nodes() {
		s, err := n.NewSession("")
		if err != nil {
			t.Fatal(err)
		}
		sums, err := testbed.TableChecksums(ctx, s, fixtureKeyspaces)
		s.Close()
		if err != nil {
			t.Fatalf("node %s: %v", n.Host, err)
		}
		out = append(out, sums)
	}
	return out
}

// assertRestored checks that every node of bed is Up/Normal and that each
// node's tables have the checksums in want (want[i] for node i+1), naming
// each table that differs.
func assertRestored(t *testing.T, ctx context.Context, bed *testbed.ClusterBed, want []map[string]string) {
	t.Helper()
	status, err := bed.Node(1).Nodetool(ctx, "status")
	if err != nil {
		t.Fatal(err)
	}
	if n := testbed.CountUN(status); n != len(bed.Nodes()) {
		t.Errorf("nodetool status shows %d UN, want %d:\n%s", n, len(bed.Nodes()), status)
	}
	for i, got := range clusterChecksums(t, ctx, bed) {
		for _, k := range slices.Sorted(maps.Keys(want[i])) {
			if got[k] != want[i][k] {
				t.Errorf("%s: %s is %q, the backup had %q", bed.Hosts()[i], k, got[k], want[i][k])
			}
		}
		if len(got) != len(want[i]) {
			t.Errorf("%s: tables %v, the backup had %v", bed.Hosts()[i], slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want[i])))
		}
	}
}

// backupEveryNode writes rows through node 1, then runs our backup-node on
// each node (as an operator would without backup-cluster).
func backupEveryNode(t *testing.T, ctx context.Context, b *testbed.ClusterBed, name string, rows int) {
	t.Helper()
	s, err := b.Node(1).NewSession("")
	if err != nil {
		t.Fatal(err)
	}
	err = testbed.CreateFixtureSchema(ctx, s)
	if err == nil {
		err = testbed.WriteRows(ctx, s, rows)
	}
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	for i := range b.Nodes() {
		if _, stderr, err := b.MedusaOn(ctx, i+1, "backup-node", "--backup-name", name); err != nil {
			t.Fatalf("backup-node on node %d: %v\n%s", i+1, err, stderr)
		}
	}
}

// nodeState is what a dry run must leave alone: every node's PID and its
// data files (path, size, mtime).
func nodeState(t *testing.T, b *testbed.ClusterBed) string {
	t.Helper()
	var lines []string
	for _, n := range b.Nodes() {
		lines = append(lines, fmt.Sprintf("%s pid %d", n.Host, n.PID()))
		_ = filepath.Walk(n.DataDir, func(p string, fi os.FileInfo, err error) error {
			if err != nil || fi.IsDir() || strings.Contains(p, string(filepath.Separator)+"system") {
				return nil // system tables change on their own
			}
			lines = append(lines, fmt.Sprintf("%s %d %d", p, fi.Size(), fi.ModTime().UnixNano()))
			return nil
		})
	}
	return strings.Join(lines, "\n")
}

func TestRestoreClusterInPlace(t *testing.T) {
	b := testbed.SharedCluster(t)
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Minute)
	defer cancel()
	const name = "rc-inplace"
	backupEveryNode(t, ctx, b, name, 300)
	want := clusterChecksums(t, ctx, b)
	if len(want[0]) < 5 || want[0]["fx_shop.users"] == "" {
		t.Fatalf("fixture checksums: %v", want[0])
	}

	// Damage: rows deleted, a table dropped (on every node: schema).
	s, err := b.Node(2).NewSession("")
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{`DELETE FROM fx_shop.users WHERE id IN (1, 2, 3, 150, 299)`,
		`DELETE FROM fx_shop.orders WHERE user_id = 7`, `DROP TABLE fx_logs.lines`} {
		if err := s.Query(stmt).ExecContext(ctx); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	s.Close()

	// A dry run prints the plan and changes nothing.
	before := nodeState(t, b)
	out, stderr, err := b.Medusa(ctx, "restore-cluster", "--backup-name", name, "--dry-run")
	if err != nil {
		t.Fatalf("dry run: %v\n%s\n%s", err, out, stderr)
	}
	for _, w := range []string{"Mode: in-place", "127.0.0.1  ->  127.0.0.1  yes", "127.0.0.2  ->  127.0.0.2  no",
		"Stopped: 127.0.0.1, 127.0.0.2, 127.0.0.3", "nothing was changed"} {
		if !strings.Contains(out, w) {
			t.Errorf("dry run output lacks %q:\n%s", w, out)
		}
	}
	if after := nodeState(t, b); after != before {
		t.Errorf("the dry run changed the nodes:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	began := time.Now()
	out, stderr, err = b.Medusa(ctx, "restore-cluster", "--backup-name", name, "-y")
	took := time.Since(began)
	if err != nil {
		t.Fatalf("restore-cluster: %v\n%s\n%s\n%s", err, out, stderr, b.LogTails(30))
	}
	t.Logf("restore-cluster in place: %s", took.Round(100*time.Millisecond))
	if testing.Verbose() {
		t.Logf("restore-cluster output:\n%s\n%s", out, stderr)
	}
	assertRestored(t, ctx, b, want)
	t.Logf("3 UN %s after the start", time.Since(began).Round(100*time.Millisecond))

	t.Run("node 2 fails mid-restore", func(t *testing.T) { nodeFailsMidRestore(t, ctx, b, name) })
	t.Run("node 2 fails after its stop", func(t *testing.T) { nodeFailsAfterStop(t, ctx, b, name) })
}

// nodeTokens reads a node's own tokens (system.local), sorted.
func nodeTokens(t *testing.T, n *testbed.Node) []string {
	t.Helper()
	s, err := n.NewSession("")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var tokens []string
	if err := s.Query(`SELECT tokens FROM system.local`).Scan(&tokens); err != nil {
		t.Fatalf("tokens of %s: %v", n.Host, err)
	}
	slices.Sort(tokens)
	return tokens
}

// A backup of the shared cluster restored by --host-list onto a second
// cluster (127.0.0.4-6, its own tokens): each target takes its source's
// tokens and rows.
func TestRestoreClusterHostListOntoOtherCluster(t *testing.T) {
	b := testbed.SharedCluster(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Minute)
	defer cancel()
	const name = "rc-hostlist"
	backupEveryNode(t, ctx, b, name, 200)
	want := clusterChecksums(t, ctx, b)
	var srcTokens [][]string
	for _, n := range b.Nodes() {
		srcTokens = append(srcTokens, nodeTokens(t, n))
	}

	b2 := testbed.ClusterBedT(t, testbed.ClusterBedOptions{FirstHost: 4, ClusterName: "medusa-testbed-2",
		S3: b.S3, Bucket: b.Bucket, Prefix: b.Prefix, MedusaBin: b.MedusaBin})
	list := filepath.Join(t.TempDir(), "hosts.txt")
	var lines []string
	for i, n := range b2.Nodes() {
		lines = append(lines, fmt.Sprintf("%s,%s,%s", map[bool]string{true: "True", false: "False"}[i == 0], n.Host, b.Hosts()[i]))
	}
	if err := os.WriteFile(list, []byte("# target <- source\n"+strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	out, stderr, err := b2.Medusa(ctx, "restore-cluster", "--backup-name", name, "--host-list", list, "-y")
	if err != nil {
		t.Fatalf("restore-cluster --host-list: %v\n%s\n%s\n%s", err, out, stderr, b2.LogTails(30))
	}
	t.Logf("restore-cluster --host-list onto a second cluster: %s", time.Since(began).Round(100*time.Millisecond))
	if !strings.Contains(out, "Mode: remote (--host-list)") {
		t.Errorf("output:\n%s", out)
	}
	assertRestored(t, ctx, b2, want)
	for i, n := range b2.Nodes() {
		if got := nodeTokens(t, n); !slices.Equal(got, srcTokens[i]) {
			t.Errorf("%s has tokens %v, its source %s had %v", n.Host, got, b.Hosts()[i], srcTokens[i])
		}
	}
}

// A backup of the 3-node cluster restored with sstableloader into a
// 2-node cluster (the topologies differ): the schema is created once from
// the backup, a table with a dropped column included, and every row is
// there.
func TestRestoreClusterLoaderOntoTwoNodes(t *testing.T) {
	b := testbed.SharedCluster(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Minute)
	defer cancel()
	const name = "rc-loader"
	s, err := b.Node(1).NewSession("")
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`CREATE KEYSPACE IF NOT EXISTS rc_drop WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
		`DROP TABLE IF EXISTS rc_drop.t`,
		`CREATE TABLE rc_drop.t (k int PRIMARY KEY, a text, gone text)`,
	} {
		if err := s.Query(stmt).ExecContext(ctx); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	for i := range 60 {
		if err := s.Query(`INSERT INTO rc_drop.t (k, a, gone) VALUES (?, ?, ?)`, i, fmt.Sprint("a", i), "x").ExecContext(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range b.Nodes() {
		if _, err := n.Nodetool(ctx, "flush", "rc_drop"); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Query(`ALTER TABLE rc_drop.t DROP gone`).ExecContext(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()
	backupEveryNode(t, ctx, b, name, 120)
	keyspaces := append(slices.Clone(fixtureKeyspaces), "rc_drop")
	src, err := b.Node(1).NewSession("")
	if err != nil {
		t.Fatal(err)
	}
	want, err := testbed.TableChecksums(ctx, src, keyspaces)
	src.Close()
	if err != nil {
		t.Fatal(err)
	}

	b2 := testbed.ClusterBedT(t, testbed.ClusterBedOptions{Nodes: 2, FirstHost: 4, ClusterName: "medusa-testbed-loader",
		S3: b.S3, Bucket: b.Bucket, Prefix: b.Prefix, MedusaBin: b.MedusaBin})
	began := time.Now()
	out, stderr, err := b2.Medusa(ctx, "restore-cluster", "--backup-name", name, "--seed-target", b2.Hosts()[0], "-y",
		"--keyspace", "fx_shop", "--keyspace", "fx_logs", "--keyspace", "rc_drop")
	if err != nil {
		t.Fatalf("restore-cluster (sstableloader): %v\n%s\n%s\n%s", err, out, stderr, b2.LogTails(30))
	}
	t.Logf("restore-cluster 3 -> 2 nodes with sstableloader: %s", time.Since(began).Round(100*time.Millisecond))
	if !strings.Contains(out, "Mode: sstableloader (the topologies differ") {
		t.Errorf("output:\n%s", out)
	}
	dst, err := b2.Node(2).NewSession("")
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	got, err := testbed.TableChecksums(ctx, dst, keyspaces)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if got[k] != want[k] {
			t.Errorf("%s: %q after the restore, %q in the source cluster", k, got[k], want[k])
		}
	}
}

// With -pr below the node count, every node is stopped first (hidden
// stop-cassandra), then restored one at a time, the seed first.
func TestRestoreClusterOneAtATime(t *testing.T) {
	b := testbed.SharedCluster(t)
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Minute)
	defer cancel()
	const name = "rc-pr1"
	backupEveryNode(t, ctx, b, name, 150)
	want := clusterChecksums(t, ctx, b)
	s, err := b.Node(1).NewSession("")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Query(`TRUNCATE fx_shop.orders`).ExecContext(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()
	began := time.Now()
	out, stderr, err := b.Medusa(ctx, "restore-cluster", "--backup-name", name, "-pr", "1", "-y")
	if err != nil {
		t.Fatalf("restore-cluster -pr 1: %v\n%s\n%s\n%s", err, out, stderr, b.LogTails(30))
	}
	t.Logf("restore-cluster in place, -pr 1: %s", time.Since(began).Round(100*time.Millisecond))
	if !strings.Contains(out, "at most 1 nodes at a time") || !strings.Contains(out, "[127.0.0.3] ") {
		t.Errorf("output:\n%s", out)
	}
	assertRestored(t, ctx, b, want)
}
