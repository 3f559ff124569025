package e2e

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/testbed"
)

// TestLoaderDroppedColumnReal is Medusa's bug #547 on a real node: a table
// with a column dropped after rows were written (their SSTables keep the
// column's cells) is backed up and dropped; restore-node
// --use-sstableloader --table re-creates it from the backup's schema,
// replays the drop, and loads every row, where a re-created table without
// the drop record makes sstableloader fail with "Unknown column". The
// other table of the keyspace is not touched. Then the backups of two
// nodes (two --fqdn names) load into one table with one command, and
// Python Medusa lists, verifies, downloads and deletes a backup of ours
// that holds meta/dropped_columns.json.
func TestLoaderDroppedColumnReal(t *testing.T) {
	srv := testbed.S3T(t)
	c := testbed.CassandraT(t)
	n := c.Nodes[0]
	b := &bed{t: t, srv: srv, n: n, dir: t.TempDir(), tmp: t.TempDir()}
	b.ini = b.writeINI("medusa.ini", n, n.Host, "")
	ctx := t.Context()
	s := b.session(n)
	defer s.Close()
	count := func(table string) int { return fixtureRowCount(t, s, table) }
	tableID := func(table string) string {
		t.Helper()
		var id string
		if err := s.Query(`SELECT id FROM system_schema.tables WHERE keyspace_name = 'dc' AND table_name = ?`, table).
			ScanContext(ctx, &id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	b.cql(n,
		`CREATE KEYSPACE dc WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
		`CREATE TABLE dc.t (k int PRIMARY KEY, a text)`,
		`CREATE TABLE dc.other (k int PRIMARY KEY, v text)`,
		`ALTER TABLE dc.t ADD gone text`)
	for i := range 200 {
		if err := s.Query(`INSERT INTO dc.t (k, a, gone) VALUES (?, ?, ?)`, i, "a", "gone").ExecContext(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.Query(`INSERT INTO dc.other (k, v) VALUES (?, 'v')`, i).ExecContext(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := n.Nodetool(ctx, "flush", "dc"); err != nil {
		t.Fatal(err)
	}
	b.cql(n, `ALTER TABLE dc.t DROP gone`)
	sum, err := testbed.TableChecksum(ctx, s, "dc", "t")
	if err != nil {
		t.Fatal(err)
	}
	b.mustMedusa(b.ini, "backup", "--backup-name", "dc1", "--mode", "full")
	key := layout.New(restorePrefix).DroppedColumnsKey(n.Host, "dc1")
	rec, err := os.ReadFile(b.objectFile(key))
	if err != nil || !strings.Contains(string(rec), `"column": "gone"`) {
		t.Fatalf("%s: %v\n%s", key, err, rec)
	}

	// The drop record is what makes the load work: without it (a backup
	// of Python Medusa or an older medusa) the loader fails.
	otherID := tableID("other")
	b.cql(n, `DROP TABLE dc.t`, `TRUNCATE dc.other`)
	if err := os.Rename(b.objectFile(key), b.objectFile(key)+".aside"); err != nil {
		t.Fatal(err)
	}
	out, code := b.medusa(b.ini, "restore-node", "--backup-name", "dc1", "--use-sstableloader", "--table", "dc.t",
		"--temp-dir", b.tmp)
	if code == 0 || !strings.Contains(out, "Unknown column") || !strings.Contains(out, "no record of dropped columns") {
		t.Fatalf("load without the drop record: exit %d, want a failure naming the unknown column and a warning:\n%s", code, out)
	}
	if err := os.Rename(b.objectFile(key)+".aside", b.objectFile(key)); err != nil {
		t.Fatal(err)
	}
	b.cql(n, `DROP TABLE dc.t`)

	began := time.Now()
	out = b.mustMedusa(b.ini, "restore-node", "--backup-name", "dc1", "--use-sstableloader", "--table", "dc.t",
		"--temp-dir", b.tmp)
	t.Logf("restore-node --use-sstableloader --table dc.t (schema + load): %s", time.Since(began).Round(time.Millisecond))
	if strings.Contains(out, "Unknown column") || strings.Contains(out, "Loading system_auth") {
		t.Errorf("the load reported an unknown column, or loaded system_auth for a one-table restore:\n%s", out)
	}
	if got := count("dc.t"); got != 200 {
		t.Errorf("dc.t has %d rows after the load, want 200", got)
	}
	if got, _ := testbed.TableChecksum(ctx, s, "dc", "t"); got != sum {
		t.Errorf("dc.t checksum %s, want the backup's %s", got, sum)
	}
	if got := count("dc.other"); got != 0 || tableID("other") != otherID {
		t.Errorf("dc.other was touched by a one-table restore: %d rows, id %s (was %s)", got, tableID("other"), otherID)
	}
	b.assertNoLeftovers(n)

	// Two source nodes into one target: the second backup, under another
	// node name, holds rows 200..299 only; --fqdn a,b loads both.
	b.cql(n, `TRUNCATE dc.t`)
	for i := 200; i < 300; i++ {
		if err := s.Query(`INSERT INTO dc.t (k, a) VALUES (?, 'a')`, i).ExecContext(ctx); err != nil {
			t.Fatal(err)
		}
	}
	const second = "second.example.com"
	ini2 := b.writeINI("medusa2.ini", n, second, "")
	b.mustMedusa(ini2, "backup", "--backup-name", "dc1", "--mode", "full")
	b.cql(n, `DROP TABLE dc.t`)
	out = b.mustMedusa(b.ini, "--fqdn", n.Host+","+second, "restore-node", "--backup-name", "dc1", "--use-sstableloader",
		"--table", "dc.t", "--temp-dir", b.tmp)
	if got := count("dc.t"); got != 300 {
		t.Errorf("dc.t has %d rows after loading two nodes' backups, want 300:\n%s", got, out)
	}
	if strings.Count(out, "Finished loading backup from") != 2 {
		t.Errorf("want two loads:\n%s", out)
	}
	// --skip-schema loads only: the table must exist.
	b.cql(n, `DROP TABLE dc.t`)
	if out, code := b.medusa(b.ini, "restore-node", "--backup-name", "dc1", "--use-sstableloader", "--skip-schema",
		"--table", "dc.t", "--temp-dir", b.tmp); code == 0 || !strings.Contains(out, "did not load every file") {
		t.Errorf("--skip-schema into a missing table: exit %d, want 1 naming the skipped files:\n%s", code, out)
	}
	// --schema-only creates the table and loads nothing.
	b.mustMedusa(b.ini, "restore-node", "--backup-name", "dc1", "--use-sstableloader", "--schema-only",
		"--table", "dc.t", "--temp-dir", b.tmp)
	if got := count("dc.t"); got != 0 {
		t.Errorf("--schema-only loaded %d rows", got)
	}
	b.mustMedusa(b.ini, "restore-node", "--backup-name", "dc1", "--use-sstableloader", "--skip-schema",
		"--table", "dc.t", "--temp-dir", b.tmp)
	if got := count("dc.t"); got != 200 {
		t.Errorf("dc.t has %d rows after --skip-schema, want 200", got)
	}
	b.assertNoLeftovers(n)

	// A backup of Python Medusa (the driver's schema export, no drop
	// record): the table is created from its schema.cql and loaded.
	py := testbed.PyMedusa{Exe: testbed.PyMedusaT(t), Config: b.ini, Dir: t.TempDir()}
	for i := range 50 {
		if err := s.Query(`INSERT INTO dc.other (k, v) VALUES (?, 'p')`, i).ExecContext(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, stderr, err := py.Run(ctx, "backup", "--backup-name", "py1", "--mode", "full"); err != nil {
		t.Fatalf("python medusa backup: %v\n%s", err, stderr)
	}
	b.cql(n, `DROP TABLE dc.other`)
	out = b.mustMedusa(b.ini, "restore-node", "--backup-name", "py1", "--use-sstableloader", "--table", "dc.other",
		"--temp-dir", b.tmp)
	if got := count("dc.other"); got != 50 || !strings.Contains(out, "Schema: create table dc.other") ||
		!strings.Contains(out, "no record of dropped columns") {
		t.Errorf("dc.other from python's backup: %d rows, want 50, created from its schema.cql with a warning:\n%s", got, out)
	}

	// Python Medusa reads and deletes a backup holding our extra file.
	for _, args := range [][]string{
		{"list-backups"}, {"verify", "--backup-name", "dc1"},
		{"download", "--backup-name", "dc1", "--download-destination", t.TempDir()},
		{"delete-backup", "--backup-name", "dc1"},
	} {
		began := time.Now()
		stdout, stderr, err := py.Run(ctx, args...)
		t.Logf("python medusa %s: %v in %s", args[0], err, time.Since(began).Round(time.Millisecond))
		if err != nil {
			t.Fatalf("python medusa %s: %v\n%s%s", strings.Join(args, " "), err, stdout, stderr)
		}
		if args[0] == "verify" && !strings.Contains(stdout, "Manifest validated: OK") {
			t.Errorf("python verify:\n%s", stdout)
		}
	}
	if _, err := os.Stat(b.objectFile(key)); !os.IsNotExist(err) {
		t.Errorf("python delete-backup left %s (%v)", key, err)
	}
}
