package e2e

import (
	"bytes"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/app"
	"github.com/medusa-go/medusa/internal/cli"
	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/testbed"
)

// nodeMedusa runs the CLI in-process with a medusa.ini for the shared
// node on the test bed's S3 server (restricted user), start and stop
// commands included, so restore-node works.
type nodeMedusa struct {
	t   *testing.T
	ini string
	tmp string
	cs  *cliStore
}

func newNodeMedusa(t *testing.T, n *testbed.Node, prefix string) *nodeMedusa {
	t.Helper()
	srv := testbed.S3T(t)
	dir := t.TempDir()
	ini := testbed.MedusaINI{S3: srv, User: srv.Restricted, Bucket: srv.Bucket, Prefix: prefix, Node: n,
		FQDN: n.Host, KeyFile: filepath.Join(dir, "credentials")}
	path := filepath.Join(dir, "medusa.ini")
	if err := ini.Write(path); err != nil {
		t.Fatal(err)
	}
	m := &nodeMedusa{t: t, ini: path, tmp: t.TempDir()}
	m.cs = &cliStore{ini: path, prefix: prefix, fqdn: n.Host, tmp: m.tmp}
	m.cs.b = openINIStorage(t, path, m.cs.getenv)
	return m
}

func (m *nodeMedusa) run(args ...string) (string, int) {
	var out bytes.Buffer
	code := cli.Execute(m.t.Context(), cli.Env{Args: append([]string{"--config-file", m.ini}, args...),
		Stdout: &out, Stderr: &out, Getenv: m.cs.getenv})
	return out.String(), code
}

func (m *nodeMedusa) must(args ...string) string {
	m.t.Helper()
	out, code := m.run(args...)
	if code != 0 {
		m.t.Fatalf("medusa %s exited %d:\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

// TestDifferentialAfterInPlaceRestore is issue 13's case on the real node:
// backup A, rows + flush, backup B, restore A in place, other rows + flush
// (Cassandra reuses B's generation numbers: same file names, some of the
// same size), differential backup C. A, B and C must verify with MD5
// checks (nothing B names was overwritten), C must name its new content
// in variant directories, and restoring C gives C's rows, restoring A
// still gives A's.
func TestDifferentialAfterInPlaceRestore(t *testing.T) {
	n := testNode(t)
	m := newNodeMedusa(t, n, "diffreuse")
	l := layout.New("diffreuse")
	ctx := t.Context()

	m.must("backup", "--backup-name", "A")
	sumsA := testbed.FixtureChecksums(t, n)
	pathsA := manifestSizes(t, m, l, "A")
	if err := writeAndFlush(ctx, n, 30000, 40); err != nil {
		t.Fatal(err)
	}
	m.must("backup", "--backup-name", "B")
	pathsB := manifestSizes(t, m, l, "B")
	m.must("restore-node", "--backup-name", "A", "--in-place", "--temp-dir", t.TempDir())
	if got := testbed.FixtureChecksums(t, n); !maps.Equal(got, sumsA) {
		t.Fatalf("after restoring A the rows are not A's")
	}
	if err := writeAndFlush(ctx, n, 40000, 40); err != nil {
		t.Fatal(err)
	}
	out := m.must("backup", "--backup-name", "C")
	sumsC := testbed.FixtureChecksums(t, n)
	pathsC := manifestSizes(t, m, l, "C")

	checkCollisions(t, out, pathsA, pathsB, pathsC)
	if bad := namesOtherBytes(t, m, l, n, "C"); len(bad) > 0 {
		t.Errorf("C names objects whose bytes are not the node's files: %v", bad)
	}

	for _, name := range []string{"A", "B", "C"} {
		if out := m.must("verify", "--backup-name", name, "--enable-md5-checks"); !strings.Contains(out,
			"Manifest validated: OK!!") {
			t.Errorf("verify %s:\n%s", name, out)
		}
	}
	checkPythonReads(t, m, l, "C", pathsC)
	m.must("restore-node", "--backup-name", "C", "--in-place", "--temp-dir", t.TempDir())
	if got := testbed.FixtureChecksums(t, n); !maps.Equal(got, sumsC) {
		t.Errorf("after restoring C the rows are not C's:\n%v\nwant\n%v", got, sumsC)
	}
	m.must("restore-node", "--backup-name", "A", "--in-place", "--temp-dir", t.TempDir())
	if got := testbed.FixtureChecksums(t, n); !maps.Equal(got, sumsA) {
		t.Errorf("after restoring A again the rows are not A's")
	}
}

// manifestSizes maps a backup's object paths to their sizes.
func manifestSizes(t *testing.T, m *nodeMedusa, l layout.Layout, name string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, s := range readManifest(t, m.cs.b, l.ManifestKey(m.cs.fqdn, name)) {
		for _, o := range s.Objects {
			out[o.Path] = o.Size
		}
	}
	return out
}

// baseOf removes the variant tag of a path's table directory (the
// segment after the keyspace, after "data").
func baseOf(p string) string {
	parts := strings.Split(p, "/")
	for i := range parts {
		if parts[i] == "data" && i+2 < len(parts) {
			parts[i+2] = layout.BaseTableDir(parts[i+2])
			break
		}
	}
	return strings.Join(parts, "/")
}

// openINIStorage opens the storage a medusa.ini names, as the CLI does.
func openINIStorage(t *testing.T, ini string, getenv func(string) string) storage.Backend {
	t.Helper()
	cfg, _, err := config.Load(t.Context(), ini, config.Overrides{}, getenv)
	if err != nil {
		t.Fatalf("load %s: %v", ini, err)
	}
	b, err := app.New(cfg, nil).Storage(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// checkPythonReads: Python Medusa lists and verifies backup name, and its
// download places every file, those in variant directories included, in
// its table directory (or secondary-index directory) under its own name.
func checkPythonReads(t *testing.T, m *nodeMedusa, l layout.Layout, name string, paths map[string]int64) {
	t.Helper()
	py := testbed.PyMedusa{Exe: testbed.PyMedusaT(t), Config: m.ini, Dir: t.TempDir()}
	out, errOut, err := py.Run(t.Context(), "list-backups")
	if err != nil || !strings.Contains(out, name+" (started") {
		t.Errorf("Python list-backups: %v\n%s\n%s", err, out, errOut)
	}
	if out, errOut, err := py.Run(t.Context(), "verify", "--backup-name", name); err != nil ||
		!strings.Contains(out, "Manifest validated: OK") {
		t.Errorf("Python verify %s: %v\n%s\n%s", name, err, out, errOut)
	}
	dest := t.TempDir()
	if out, errOut, err := py.Run(t.Context(), "download", "--backup-name", name, "--download-destination",
		dest); err != nil {
		t.Fatalf("Python download %s: %v\n%s\n%s", name, err, out, errOut)
	}
	m2 := readManifest(t, m.cs.b, l.ManifestKey(m.cs.fqdn, name))
	for _, s := range m2 {
		for _, o := range s.Objects {
			rel, ok := layout.TableRelPath(o.Path, s.Keyspace, s.ColumnFamily)
			if !ok {
				t.Fatalf("%s is not in %s/%s", o.Path, s.Keyspace, s.ColumnFamily)
			}
			st, err := os.Stat(filepath.Join(dest, s.Keyspace, s.ColumnFamily, filepath.FromSlash(rel)))
			if err != nil || st.Size() != paths[o.Path] {
				t.Errorf("Python placed %s wrongly: %v", o.Path, err)
			}
		}
	}
}

// namesOtherBytes compares every object backup name names with the node's
// live file of the same table and name (read right after the backup):
// it returns the paths whose stored bytes differ.
func namesOtherBytes(t *testing.T, m *nodeMedusa, l layout.Layout, n *testbed.Node, name string) []string {
	t.Helper()
	var bad []string
	for _, s := range readManifest(t, m.cs.b, l.ManifestKey(m.cs.fqdn, name)) {
		for _, o := range s.Objects {
			rel, _ := layout.TableRelPath(o.Path, s.Keyspace, s.ColumnFamily)
			local, err := os.ReadFile(filepath.Join(n.DataDir, s.Keyspace, s.ColumnFamily, filepath.FromSlash(rel)))
			if err != nil {
				continue // compacted away since
			}
			rc, _, err := m.cs.b.Get(t.Context(), o.Path, 0, -1)
			if err != nil {
				t.Fatal(err)
			}
			stored, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(local, stored) {
				bad = append(bad, o.Path)
			}
		}
	}
	return bad
}

// checkCollisions checks that the scenario hit the hole: files of C named
// like files B added (generation numbers reused), some of the same size,
// new content in variant directories, and the files the restore put back
// not uploaded again (out is C's backup output).
func checkCollisions(t *testing.T, out string, pathsA, pathsB, pathsC map[string]int64) {
	t.Helper()
	var sameName, sameSize, variants int
	for p, size := range pathsC {
		base := baseOf(p)
		if base != p {
			variants++
		}
		bs, inB := pathsB[base]
		if _, inA := pathsA[base]; !inB || inA {
			continue
		}
		sameName++
		if bs == size {
			sameSize++
		}
	}
	copied := summaryCount(t, out, `- (\d+) files copied from host`)
	t.Logf("C: %d files, %d copied, %d in variant directories, %d named like files B added, %d of those of "+
		"the same size", len(pathsC), copied, variants, sameName, sameSize)
	if sameName == 0 {
		t.Fatalf("no file of C took the name of one B added: the generation numbers were not reused\n%s", out)
	}
	if variants == 0 {
		t.Errorf("no file of C went to a variant directory: no new content met a taken key")
	}
	if sameSize == 0 {
		t.Errorf("no file of C has the name and size of one B added: the stale-reuse case was not exercised")
	}
	if copied > len(pathsC)/2 {
		t.Errorf("C copied %d of %d files: the files the restore put back were uploaded again", copied, len(pathsC))
	}
	for p, size := range pathsB {
		if baseOf(p) != p {
			t.Errorf("B names a variant %s (%d bytes): nothing collided before the restore", p, size)
		}
	}
}
