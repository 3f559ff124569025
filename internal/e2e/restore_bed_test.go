package e2e

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/medusa-go/medusa/internal/cli"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/testbed"
)

// bed is the scenario's test bed: a Cassandra node with the fixture
// schema, the S3 server holding its backups, and medusa.ini files.
type bed struct {
	t   *testing.T
	srv *testbed.S3Server
	n   *testbed.Node
	dir string
	ini string
	tmp string // $TMPDIR of the medusa commands
}

const restorePrefix = "restore"

// newRestoreBed starts a node of the test's own (restores stop it and
// replace its data), loads the fixture schema with 100 flushed rows and
// stores the full backup b1 of it in the S3 server; backed are the
// fixture tables' checksums in b1.
func newRestoreBed(t *testing.T) (b *bed, backed map[string]string) {
	t.Helper()
	srv := testbed.S3T(t)
	c := testbed.CassandraT(t)
	n := c.Nodes[0]
	b = &bed{t: t, srv: srv, n: n, dir: t.TempDir(), tmp: t.TempDir()}
	b.ini = b.writeINI("medusa.ini", n, n.Host, "")
	s := b.session(n)
	if err := testbed.CreateFixtureSchema(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	if err := testbed.WriteRows(t.Context(), s, 100); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := n.Nodetool(t.Context(), "flush"); err != nil {
		t.Fatal(err)
	}
	backed = b.checksums(n)
	b.mustMedusa(b.ini, "backup", "--backup-name", "b1", "--mode", "full")
	return b, backed
}

// writeINI writes a medusa.ini for node n whose backups are those of
// fqdn; start overrides start_cmd when not empty.
func (b *bed) writeINI(name string, n *testbed.Node, fqdn, start string) string {
	b.t.Helper()
	path := filepath.Join(b.dir, name)
	extra := map[string]map[string]string{
		// Files from 4 KiB up are multipart uploads (one 5 MiB part):
		// the restore checks "<md5 of md5s>-1" ETags.
		"storage": {"multi_part_upload_threshold": "4096", "multipart_chunksize": "5MB", "concurrent_transfers": "4"},
		"checks":  {"query": "SELECT count(*) FROM fx_shop.users", "expected_rows": "1", "expected_result": "100"},
	}
	if start != "" {
		extra["cassandra"] = map[string]string{"start_cmd": start}
	}
	err := testbed.MedusaINI{S3: b.srv, KeyFile: filepath.Join(b.dir, name+".credentials"), User: b.srv.Restricted,
		Bucket: b.srv.Bucket, Prefix: restorePrefix, Node: n, FQDN: fqdn, Extra: extra}.Write(path)
	if err != nil {
		b.t.Fatal(err)
	}
	return path
}

// medusa runs the CLI in-process and returns its output and exit code.
func (b *bed) medusa(ini string, args ...string) (string, int) {
	b.t.Helper()
	var out bytes.Buffer
	getenv := func(k string) string { return map[string]string{"TMPDIR": b.tmp, "TZ": "UTC"}[k] }
	code := cli.Execute(b.t.Context(), cli.Env{Args: append([]string{"--config-file", ini}, args...),
		Stdout: &out, Stderr: &out, Getenv: getenv})
	if testing.Verbose() {
		b.t.Logf("medusa %s: exit %d\n%s", strings.Join(args, " "), code, out.String())
	}
	return out.String(), code
}

// mustMedusa runs the CLI and fails the test unless it exits 0.
func (b *bed) mustMedusa(ini string, args ...string) string {
	b.t.Helper()
	out, code := b.medusa(ini, args...)
	if code != 0 {
		b.t.Fatalf("medusa %s exited %d:\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

// cql runs statements on node n.
func (b *bed) cql(n *testbed.Node, stmts ...string) {
	b.t.Helper()
	s := b.session(n)
	defer s.Close()
	for _, q := range stmts {
		if err := s.Query(q).ExecContext(b.t.Context()); err != nil {
			b.t.Fatalf("%s: %v", q, err)
		}
	}
}

func (b *bed) session(n *testbed.Node) *gocql.Session {
	b.t.Helper()
	s, err := n.NewSession("")
	if err != nil {
		b.t.Fatal(err)
	}
	return s
}

// checksums returns the checksum of every fixture table and of the
// materialized view (rows and content, order-independent).
func (b *bed) checksums(n *testbed.Node) map[string]string {
	b.t.Helper()
	s := b.session(n)
	defer s.Close()
	sums, err := testbed.TableChecksums(b.t.Context(), s, testbed.FixtureKeyspaces)
	if err != nil {
		b.t.Fatal(err)
	}
	view, err := testbed.TableChecksum(b.t.Context(), s, "fx_shop", "users_by_name")
	if err != nil {
		b.t.Fatal(err)
	}
	sums["fx_shop.users_by_name"] = view
	return sums
}

func (b *bed) sameChecksums(what string, got, want map[string]string) {
	b.t.Helper()
	if maps.Equal(got, want) {
		return
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if got[k] != want[k] {
			b.t.Errorf("%s: %s is %q, want %q", what, k, got[k], want[k])
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			b.t.Errorf("%s: unexpected table %s", what, k)
		}
	}
}

// assertNoLeftovers checks that no download, aside directory or journal
// remains (the in-place step uses the default --temp-dir /tmp, shared
// with other tests, and is not checked there).
func (b *bed) assertNoLeftovers(n *testbed.Node) {
	b.t.Helper()
	for _, dir := range []string{b.tmp, n.DataDir, n.CommitlogDir, n.SavedCachesDir} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".medusa-aside-") || strings.HasPrefix(e.Name(), "medusa-restore-") {
				b.t.Errorf("left behind: %s", filepath.Join(dir, e.Name()))
			}
		}
	}
}

// objectFile returns the file versitygw keeps key in.
func (b *bed) objectFile(key string) string {
	return filepath.Join(b.srv.Dir, "data", b.srv.Bucket, filepath.FromSlash(key))
}

// flipByte inverts one byte in the middle of path (same size).
func flipByte(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// unwrapping exposes the backend a test wrapper wraps, so the restore
// still finds the S3 backend's capabilities (PartSize, ExpectedHash).
type unwrapping struct {
	storage.Backend
	inner storage.Backend
}

func (u unwrapping) Unwrap() storage.Backend { return u.inner }

func fixtureRowCount(t *testing.T, s *gocql.Session, table string) int {
	t.Helper()
	var n int
	if err := s.Query(fmt.Sprintf("SELECT count(*) FROM %s", table)).ScanContext(t.Context(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}
