package compat

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/testbed"
)

// crossBackup is one backup of the cross test and the tool that made it.
type crossBackup struct {
	name, tool string
	diff       bool
}

// crossBackups are made in this order, with new flushed rows before go2 and
// py2: a full backup by each tool, then differential backups alternating
// between the tools over one shared pool, so that each tool's differential
// reuses files the other uploaded.
var crossBackups = []crossBackup{
	{"go1", "our", false}, {"py1", "python", false},
	{"go2", "our", true}, {"py2", "python", true}, {"go3", "our", true},
}

// TestCrossReading makes the crossBackups of one node with both tools into
// one bucket (local, then S3 as the restricted user with a prefix), then
// checks that each tool lists, reports and verifies every backup, and that
// our output is Python's, byte for byte.
func TestCrossReading(t *testing.T) {
	n := testNode(t)
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			var srv *testbed.S3Server
			if kind == "s3" {
				srv = testbed.S3T(t)
			}
			st := newStore(t, kind, n, srv, "medusa-compat")
			makeCrossBackups(t, st, n)
			t.Run("python reads ours", func(t *testing.T) { checkReader(t, st, st.pythonCached, "our") })
			t.Run("we read python's", func(t *testing.T) { checkReader(t, st, st.ours, "python") })
			t.Run("same output", func(t *testing.T) { checkSameOutput(t, st) })
			t.Run("layout", func(t *testing.T) { checkCrossLayout(t, st) })
		})
	}
}

// makeCrossBackups runs the crossBackups. After each, the backup's own
// statistics must match the bucket: a file is kept iff it was in the pool
// before (same name and size), nothing is re-uploaded, and each
// differential backup after the first reuses fixture files the other
// tool's backup just before uploaded to the pool.
func makeCrossBackups(t *testing.T, st *store, n *testbed.Node) {
	for i, b := range crossBackups {
		if b.name == "go2" || b.name == "py2" {
			if err := moreRows(t.Context(), n, 50); err != nil {
				t.Fatal(err)
			}
		}
		args := []string{"backup", "--backup-name", b.name}
		if !b.diff {
			args = append(args, "--mode", "full")
		}
		run := st.ours
		if b.tool == "python" {
			run = st.python
		}
		poolBefore := listObjects(t, st, st.layout.PoolPrefix(st.fqdn))
		r := must(t, run(t, args...))
		checkManifestHashes(t, st, b, poolBefore)
		newFiles, reuploaded, kept := backupStats(t, r)
		t.Logf("%s (%s): %d new, %d re-uploaded, %d kept", b.name, b.tool, newFiles, reuploaded, kept)
		m := readManifest(t, st, b.name)
		_, objects := m.Stats()
		var prevFixture []string
		if i >= 3 {
			for _, o := range fixtureObjects(readManifest(t, st, crossBackups[i-1].name)) {
				prevFixture = append(prevFixture, o.Path)
			}
		}
		inPool, reused := 0, 0
		for _, s := range m {
			for _, o := range s.Objects {
				if _, ok := poolBefore[o.Path]; ok && b.diff {
					inPool++
					if slices.Contains(prevFixture, o.Path) {
						reused++
					}
				}
			}
		}
		if reuploaded != 0 || kept != inPool || int64(newFiles+kept) != objects {
			t.Errorf("%s by %s: %d new, %d re-uploaded, %d kept; its manifest has %d files, %d of them in the pool "+
				"before: want %d new, 0 re-uploaded, %d kept\n%s", b.name, b.tool, newFiles, reuploaded, kept,
				objects, inPool, objects-int64(inPool), inPool, r)
		}
		if i >= 3 && reused == 0 {
			t.Errorf("%s by %s reuses none of the %d fixture files %s by %s put in the pool", b.name, b.tool,
				len(prevFixture), crossBackups[i-1].name, crossBackups[i-1].tool)
		}
	}
}

// checkManifestHashes checks the MD5 field of every object in the manifest
// of b, by Medusa's rule: on local storage null for a file a differential
// backup kept from the pool, otherwise the hex MD5 of the content; on S3
// the object's ETag (here hex MD5s, the fixture files being small).
func checkManifestHashes(t *testing.T, st *store, b crossBackup, poolBefore map[string]storage.ObjectInfo) {
	t.Helper()
	objects := listObjects(t, st, st.layout.NodePrefix(st.fqdn))
	for _, s := range readManifest(t, st, b.name) {
		for _, o := range s.Objects {
			_, kept := poolBefore[o.Path]
			var want string
			switch {
			case st.kind == "local" && kept:
				want = "null"
			case st.kind == "local":
				sum := md5.Sum(readObject(t, st, o.Path))
				want = hex.EncodeToString(sum[:])
			default:
				want = objects[o.Path].Hash
			}
			got := "null"
			if o.MD5 != nil {
				got = *o.MD5
			}
			if got != want {
				t.Errorf("%s (by %s): manifest MD5 of %s (kept from the pool: %v) is %s, want %s",
					b.name, b.tool, o.Path, kept, got, want)
			}
		}
	}
}

// checkReader checks, with one tool (run), the backups made by the other
// (maker): listed as finished, status complete with the manifest's file
// count, verify OK with and without MD5 checks.
func checkReader(t *testing.T, st *store, run func(*testing.T, ...string) result, maker string) {
	list := must(t, run(t, "list-backups"))
	if strings.Contains(list.stdout, "Incomplete") {
		t.Errorf("list-backups reports an incomplete backup:\n%s", list)
	}
	for _, b := range crossBackups {
		if b.tool != maker {
			continue
		}
		line := regexp.MustCompile(`(?m)^` + b.name +
			` \(started: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, finished: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\)$`)
		if !line.MatchString(list.stdout) {
			t.Errorf("list-backups does not show %s as finished:\n%s", b.name, list)
		}
		size, objects := readManifest(t, st, b.name).Stats()
		status := must(t, run(t, "status", "--backup-name", b.name))
		for _, want := range []string{
			b.name + "\n",
			"- 1 nodes completed, 0 nodes incomplete, 0 nodes missing\n",
			fmt.Sprintf("- %d files, %s\n", objects, layout.FormatBytes(size)),
		} {
			if !strings.Contains(status.stdout, want) {
				t.Errorf("status of %s lacks %q:\n%s", b.name, want, status)
			}
		}
		if !strings.HasPrefix(status.stdout, b.name+"\n") {
			t.Errorf("status of %s does not start with its name alone (complete):\n%s", b.name, status)
		}
		for _, md5 := range []bool{false, true} {
			args := []string{"verify", "--backup-name", b.name}
			if md5 {
				args = append(args, "--enable-md5-checks")
			}
			v := must(t, run(t, args...))
			want := "Validating " + b.name + " ...\n- Completion: OK!\n- Manifest validated: OK!!\n"
			if v.stdout != want {
				t.Errorf("verify of %s (md5 checks %v): want\n%s\n%s", b.name, md5, want, v)
			}
		}
	}
}

// checkSameOutput compares the stdout of both tools, which must be equal,
// for the read-only commands over every backup of the bucket.
func checkSameOutput(t *testing.T, st *store) {
	cmds := [][]string{
		{"list-backups"}, {"list-backups", "--output", "json"}, {"list-backups", "--show-all"},
		{"get-last-complete-cluster-backup"},
	}
	for _, b := range crossBackups {
		cmds = append(cmds,
			[]string{"status", "--backup-name", b.name},
			[]string{"status", "--backup-name", b.name, "--output", "json"},
			[]string{"verify", "--backup-name", b.name})
	}
	cmds = append(cmds, []string{"fetch-tokenmap", "--backup-name", "go1"},
		[]string{"fetch-tokenmap", "--backup-name", "py1"},
		[]string{"status", "--backup-name", "nosuchbackup", "--output", "json"})
	for _, args := range cmds {
		py, our := st.pythonCached(t, args...), st.ours(t, args...)
		if py.code != our.code || py.stdout != our.stdout {
			t.Errorf("medusa %s: outputs differ\n%s\n%s\n%s", strings.Join(args, " "), py, our,
				lineDiff(py.stdout, our.stdout))
		}
	}
}

// readManifest reads and parses the manifest of backup name of the store's node.
func readManifest(t *testing.T, st *store, name string) layout.Manifest {
	t.Helper()
	m, err := layout.UnmarshalManifest(readObject(t, st, st.layout.ManifestKey(st.fqdn, name)))
	if err != nil {
		t.Fatalf("manifest of %s: %v", name, err)
	}
	return m
}

// readObject returns the content of key.
func readObject(t *testing.T, st *store, key string) []byte {
	t.Helper()
	rc, _, err := st.backend.Get(t.Context(), key, 0, -1)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return data
}

// fixtureObjects returns the objects of m in the fixture keyspaces.
func fixtureObjects(m layout.Manifest) []layout.Object {
	var out []layout.Object
	for _, s := range m {
		for _, ks := range testbed.FixtureKeyspaces {
			if s.Keyspace == ks {
				out = append(out, s.Objects...)
			}
		}
	}
	return out
}

// lineDiff describes the first lines where a and b differ.
func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	for i := 0; i < max(len(al), len(bl)) && len(out) < 10; i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			out = append(out, fmt.Sprintf("line %d:\n  python: %q\n  ours:   %q", i+1, x, y))
		}
	}
	return strings.Join(out, "\n")
}
