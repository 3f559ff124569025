package e2e

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/app"
	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/restore"
	"github.com/medusa-go/medusa/internal/storage/storagetest"
	"github.com/medusa-go/medusa/internal/testbed"
)

// TestRestoreAgainstRealServers backs up a real Cassandra node into a real
// S3 server and restores it in every way restore-node offers, including
// failures before and after Cassandra is stopped. The steps share the
// node and run in order; Cassandra is restarted four times.
func TestRestoreAgainstRealServers(t *testing.T) {
	b, backed := newRestoreBed(t)

	steps := []struct {
		name string
		fn   func(b *bed, backed map[string]string)
	}{
		{"refused downloads leave the node running", stepRefusedDownloads},
		{"corrupted object leaves the node running", stepCorruptedObject},
		{"dry run changes nothing", stepDryRun},
		{"in place after data loss", stepInPlace},
		{"one table leaves the others", stepOneTable},
		{"start_cmd failing once rolls back", stepStartFails},
		{"sstableloader into the running node", stepSSTableLoader},
		{"download", stepDownload},
		{"remote onto a fresh node", stepRemote},
		{"python medusa backup restored in place", stepPythonBackup},
	}
	for _, st := range steps {
		if !t.Run(st.name, func(t *testing.T) {
			sb := *b
			sb.t = t
			st.fn(&sb, backed)
		}) {
			t.FailNow()
		}
	}
}

// stepRefusedDownloads: the store starts refusing downloads halfway; the
// restore fails before Cassandra is stopped and nothing changed.
func stepRefusedDownloads(b *bed, backed map[string]string) {
	t := b.t
	cfg, _, err := config.Load(t.Context(), b.ini, config.Overrides{}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	rs, err := app.New(cfg, slog.New(slog.NewTextHandler(t.Output(), nil))).OpenRestore(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	faulty := storagetest.NewFaulty(rs.Deps.Storage)
	faulty.Inject(storagetest.Fault{Op: storagetest.OpGet, Skip: 30, Err: storagetest.ErrDenied})
	rs.Deps.Storage = unwrapping{Backend: faulty, inner: rs.Deps.Storage}
	pid := b.n.PID()
	_, err = restore.Run(t.Context(), rs.Deps, restore.Options{Backup: "b1", FQDN: cfg.Storage.FQDN,
		Prefix: restorePrefix, InPlace: true, TempDir: b.tmp, Concurrency: 4, ManageCassandra: true,
		Node: rs.Paths})
	var se *restore.StageError
	if !errors.As(err, &se) || se.Stage != restore.StageDownload || se.NodeTouched {
		t.Fatalf("err = %v, want a download failure before the node is touched", err)
	}
	if faulty.Injected(storagetest.OpGet) == 0 || faulty.Calls(storagetest.OpGet) <= 30 {
		t.Fatalf("%d downloads, %d refused: not a failure halfway", faulty.Calls(storagetest.OpGet),
			faulty.Injected(storagetest.OpGet))
	}
	if b.n.PID() != pid {
		t.Error("Cassandra was restarted")
	}
	b.sameChecksums("after refused downloads", b.checksums(b.n), backed)
	b.assertNoLeftovers(b.n)
}

// stepCorruptedObject: one object of the backup is corrupted at rest (its
// bytes changed, the store's ETag not); the check stage refuses it before
// Cassandra is stopped.
func stepCorruptedObject(b *bed, backed map[string]string) {
	t := b.t
	key := multipartObject(b)
	path := b.objectFile(key)
	flipByte(t, path)
	defer flipByte(t, path)
	pid := b.n.PID()
	out, code := b.medusa(b.ini, "restore-node", "--backup-name", "b1", "--temp-dir", b.tmp)
	if code != 1 || !strings.Contains(out, "stage check") || !strings.Contains(out, "does not match the manifest") ||
		!strings.Contains(out, "Cassandra was not stopped") {
		t.Fatalf("restore of a corrupted backup exited %d, want 1 at stage check:\n%s", code, out)
	}
	if b.n.PID() != pid {
		t.Error("Cassandra was restarted")
	}
	b.sameChecksums("after a corrupted download", b.checksums(b.n), backed)
	b.assertNoLeftovers(b.n)
}

// multipartObject returns the key of a multipart-uploaded object of b1.
func multipartObject(b *bed) string {
	b.t.Helper()
	cfg, _, err := config.Load(b.t.Context(), b.ini, config.Overrides{}, func(string) string { return "" })
	if err != nil {
		b.t.Fatal(err)
	}
	st, err := app.New(cfg, nil).Storage(b.t.Context())
	if err != nil {
		b.t.Fatal(err)
	}
	defer st.Close()
	m, err := (&catalog.Catalog{Backend: st, Prefix: restorePrefix}).Manifest(b.t.Context(), "b1", b.n.Host)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, s := range m {
		for _, o := range s.Objects {
			if s.Keyspace == "fx_shop" && o.MD5 != nil && strings.HasSuffix(*o.MD5, "-1") {
				return o.Path
			}
		}
	}
	b.t.Fatal("no multipart object in backup b1")
	return ""
}

// stepDryRun prints the plan and changes nothing.
func stepDryRun(b *bed, backed map[string]string) {
	pid := b.n.PID()
	out := b.mustMedusa(b.ini, "restore-node", "--backup-name", "b1", "--dry-run", "--temp-dir", b.tmp)
	for _, want := range []string{"Restore plan (dry run) for backup b1", "fx_shop.users-", "replaces " + b.n.DataDir,
		"Dry run: nothing was downloaded, stopped or changed."} {
		if !strings.Contains(out, want) {
			b.t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}
	if b.n.PID() != pid {
		b.t.Error("dry run restarted Cassandra")
	}
	b.assertNoLeftovers(b.n)
}

// stepInPlace loses data (rows deleted, a table truncated, a table
// dropped) and restores the node in place: every row and the schema come
// back exactly; --verify runs the [checks] query.
func stepInPlace(b *bed, backed map[string]string) {
	b.cql(b.n, "DELETE FROM fx_shop.users WHERE id IN (1, 2, 3, 5, 8, 13, 21, 34, 55, 89)",
		"TRUNCATE fx_shop.orders", "DROP TABLE fx_logs.lines")
	if _, ok := b.checksums(b.n)["fx_logs.lines"]; ok {
		b.t.Fatal("fx_logs.lines was not dropped")
	}
	out := b.mustMedusa(b.ini, "restore-node", "--backup-name", "b1", "--verify")
	for _, want := range []string{"Restore done", "The restore verification is complete", "Cassandra was down for"} {
		if !strings.Contains(out, want) {
			b.t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	b.sameChecksums("after the in-place restore", b.checksums(b.n), backed)
	b.assertNoLeftovers(b.n)
}

// stepOneTable restores fx_shop.users only: its rows come back, and newer
// rows of fx_logs.lines stay.
func stepOneTable(b *bed, backed map[string]string) {
	b.cql(b.n, "DELETE FROM fx_shop.users WHERE id IN (0, 4, 6, 7, 9, 10, 11, 12, 14, 15)",
		"INSERT INTO fx_logs.lines (bucket, seq, line) VALUES (99, 1, 'written after the backup')",
		"INSERT INTO fx_logs.lines (bucket, seq, line) VALUES (99, 2, 'also after the backup')")
	before := b.checksums(b.n)
	if before["fx_logs.lines"] == backed["fx_logs.lines"] || before["fx_shop.users"] == backed["fx_shop.users"] {
		b.t.Fatal("the changes did not change the checksums")
	}
	b.mustMedusa(b.ini, "restore-node", "--backup-name", "b1", "--table", "fx_shop.users", "--temp-dir", b.tmp)
	after := b.checksums(b.n)
	if after["fx_shop.users"] != backed["fx_shop.users"] {
		b.t.Errorf("fx_shop.users = %s, want the backup's %s", after["fx_shop.users"], backed["fx_shop.users"])
	}
	if after["fx_logs.lines"] != before["fx_logs.lines"] {
		b.t.Errorf("fx_logs.lines = %s, want its newer rows %s", after["fx_logs.lines"], before["fx_logs.lines"])
	}
	b.assertNoLeftovers(b.n)
}

// stepStartFails: start_cmd fails once after the node was stopped and its
// files replaced; the restore rolls back and every row is still there.
func stepStartFails(b *bed, _ map[string]string) {
	marker := filepath.Join(b.dir, "start-failed-once")
	script := filepath.Join(b.dir, "start-fails-once")
	body := fmt.Sprintf("#!/bin/sh\nif [ ! -e %q ]; then touch %q; echo 'injected: start failure' >&2; exit 1; fi\nexec %q\n",
		marker, marker, b.n.StartCmd)
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		b.t.Fatal(err)
	}
	ini := b.writeINI("failing-start.ini", b.n, b.n.Host, script)
	s := b.session(b.n)
	if err := testbed.WriteRowsFrom(b.t.Context(), s, 5000, 10); err != nil {
		b.t.Fatal(err)
	}
	s.Close()
	before := b.checksums(b.n)
	out, code := b.medusa(ini, "restore-node", "--backup-name", "b1", "--temp-dir", b.tmp)
	if code != 1 || !strings.Contains(out, "stage start") || !strings.Contains(out, "rolled back") ||
		!strings.Contains(out, "the node's data is as it was before the restore") {
		b.t.Fatalf("restore with a failing start exited %d, want 1 and a rollback:\n%s", code, out)
	}
	if _, err := os.Stat(marker); err != nil {
		b.t.Fatal("the start failure was not injected")
	}
	b.sameChecksums("after the rollback", b.checksums(b.n), before)
	b.assertNoLeftovers(b.n)
}

// stepSSTableLoader truncates a table and loads it back from the backup
// with sstableloader, without stopping Cassandra.
func stepSSTableLoader(b *bed, backed map[string]string) {
	b.cql(b.n, "TRUNCATE fx_logs.lines")
	pid := b.n.PID()
	b.mustMedusa(b.ini, "restore-node", "--backup-name", "b1", "--use-sstableloader", "--keyspace", "fx_logs", "--temp-dir", b.tmp)
	if b.n.PID() != pid {
		b.t.Error("sstableloader restore restarted Cassandra")
	}
	if got := b.checksums(b.n)["fx_logs.lines"]; got != backed["fx_logs.lines"] {
		b.t.Errorf("fx_logs.lines = %s, want the backup's %s", got, backed["fx_logs.lines"])
	}
	b.assertNoLeftovers(b.n)
}

// stepDownload downloads the backup with medusa download.
func stepDownload(b *bed, _ map[string]string) {
	dest := b.t.TempDir()
	b.mustMedusa(b.ini, "download", "--backup-name", "b1", "--download-destination", dest,
		"--keyspace", "fx_shop", "--ignore-system-keyspaces")
	entries, _ := os.ReadDir(dest)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"fx_shop", "manifest.json", "schema.cql", "tokenmap.json"}) {
		b.t.Errorf("download holds %v", names)
	}
	users, _ := filepath.Glob(filepath.Join(dest, "fx_shop", "users-*", "*-Data.db"))
	if len(users) == 0 {
		b.t.Error("no users SSTable downloaded")
	}
}

// stepRemote restores node 1's backup onto a second node that never ran:
// it comes up with node 1's tokens and rows.
func stepRemote(b *bed, backed map[string]string) {
	t := b.t
	c2, err := testbed.NewCluster(t.Context(), testbed.CassandraOptions{Dir: t.TempDir(), Fetch: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("node 2:\n%s", c2.Nodes[0].LogTail(40))
		}
		_ = c2.Stop()
	})
	n2 := c2.Nodes[0]
	ini := b.writeINI("remote.ini", n2, b.n.Host, "")
	b.mustMedusa(ini, "restore-node", "--remote", "--backup-name", "b1", "--temp-dir", b.tmp)
	b.sameChecksums("node 2 after the remote restore", b.checksums(n2), backed)
	want := tokensOf(t, b, b.n)
	if got := tokensOf(t, b, n2); !slices.Equal(got, want) {
		t.Errorf("node 2 owns tokens %v, want node 1's %v", got, want)
	}
	yaml, err := os.ReadFile(n2.ConfigFile)
	if err != nil || !strings.Contains(string(yaml), "auto_bootstrap: false") {
		t.Errorf("cassandra.yaml of node 2 (%v):\n%s", err, yaml)
	}
	b.assertNoLeftovers(n2)
}

func tokensOf(t *testing.T, b *bed, n *testbed.Node) []string {
	s := b.session(n)
	defer s.Close()
	var tokens []string
	if err := s.Query("SELECT tokens FROM system.local").ScanContext(context.WithoutCancel(t.Context()), &tokens); err != nil {
		t.Fatal(err)
	}
	slices.Sort(tokens)
	return tokens
}

// stepPythonBackup: a differential backup made by Python Medusa is
// restored in place by this tool after data loss.
func stepPythonBackup(b *bed, _ map[string]string) {
	t := b.t
	py := testbed.PyMedusa{Exe: testbed.PyMedusaT(t), Config: b.ini, Dir: t.TempDir()}
	s := b.session(b.n)
	if err := testbed.WriteRowsFrom(t.Context(), s, 7000, 20); err != nil {
		t.Fatal(err)
	}
	s.Close()
	backed := b.checksums(b.n)
	if _, stderr, err := py.Run(t.Context(), "backup", "--backup-name", "py1"); err != nil {
		t.Fatalf("python medusa backup: %v\n%s", err, stderr)
	}
	b.cql(b.n, "DELETE FROM fx_shop.users WHERE id IN (3, 7000, 7001)", "TRUNCATE fx_logs.lines",
		"DROP TABLE fx_shop.page_views")
	b.mustMedusa(b.ini, "restore-node", "--backup-name", "py1", "--temp-dir", b.tmp)
	b.sameChecksums("after restoring Python Medusa's backup", b.checksums(b.n), backed)
	b.assertNoLeftovers(b.n)
}
