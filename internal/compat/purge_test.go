package compat

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/testbed"
)

// purgeBackups are made in this order into one bucket, each after new
// flushed rows: differential backups alternating between the tools over
// one shared pool. Before o2 the fixture keyspaces are compacted, so that
// some pool files are named only by the manifests of o1 and p1.
var purgeBackups = []crossBackup{
	{"o1", "our", true}, {"p1", "python", true}, {"o2", "our", true}, {"p2", "python", true},
}

// listedRE finds the backup names in the text of list-backups.
var listedRE = regexp.MustCompile(`(?m)^(\S+) \(started: `)

// TestPurgeWithPythonBackups checks that our purge and delete-backup treat
// the backups Python Medusa made in the bucket by the same rules as ours:
// with max_backup_count = 2 the two oldest complete backups go whichever
// tool made them, the pool keeps exactly the files the remaining manifests
// name (grace period 0), and afterwards both tools list the same backups
// and verify the remaining ones. Then our delete-backup deletes a backup
// Python made, and Python still lists and verifies ours.
func TestPurgeWithPythonBackups(t *testing.T) {
	n := testNode(t)
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			began := time.Now()
			var srv *testbed.S3Server
			if kind == "s3" {
				srv = testbed.S3T(t)
			}
			st := newStore(t, kind, n, srv, "compat-purge")
			refs := makePurgeBackups(t, st, n)
			oldOnly := subtract(union(refs, "o1", "p1"), union(refs, "o2", "p2"))
			if len(oldOnly) == 0 {
				t.Fatal("no pool file is named only by o1 or p1: the purge of the pool would go unchecked")
			}
			t.Logf("%d pool files are named only by o1 or p1", len(oldOnly))
			ret := withStorageKeys(t, st, map[string]string{
				"max_backup_count": "2", "backup_grace_period_in_days": "0"})

			r := must(t, ret.ours(t, "purge"))
			checkPurgeSummary(t, r, []string{"o1", "p1"}, []string{"o2", "p2"})
			checkRemaining(t, st, refs, []string{"o1", "p1"}, []string{"o2", "p2"})

			r = must(t, ret.ours(t, "delete-backup", "--backup-name", "p2"))
			checkPurgeSummary(t, r, []string{"p2"}, []string{"o2"})
			checkRemaining(t, st, refs, []string{"o1", "p1", "p2"}, []string{"o2"})
			t.Logf("%s: backups, purge, delete-backup and checks took %s", kind,
				time.Since(began).Round(time.Millisecond))
		})
	}
}

// makePurgeBackups runs the purgeBackups and returns, for each, the set of
// the keys its manifest names.
func makePurgeBackups(t *testing.T, st *store, n *testbed.Node) map[string]map[string]bool {
	refs := map[string]map[string]bool{}
	for _, b := range purgeBackups {
		if err := moreRows(t.Context(), n, 20); err != nil {
			t.Fatal(err)
		}
		if b.name == "o2" {
			for _, ks := range testbed.FixtureKeyspaces {
				if _, err := n.Nodetool(t.Context(), "compact", ks); err != nil {
					t.Fatal(err)
				}
			}
		}
		run := st.ours
		if b.tool == "python" {
			run = st.python
		}
		must(t, run(t, "backup", "--backup-name", b.name))
		refs[b.name] = map[string]bool{}
		for _, s := range readManifest(t, st, b.name) {
			for _, o := range s.Objects {
				refs[b.name][o.Path] = true
			}
		}
	}
	pool := slices.Sorted(maps.Keys(listObjects(t, st, st.layout.PoolPrefix(st.fqdn))))
	all := slices.Sorted(maps.Keys(union(refs, "o1", "p1", "o2", "p2")))
	if !slices.Equal(pool, all) {
		t.Fatalf("before the purge the pool (%d objects) is not the union of the manifests (%d keys)",
			len(pool), len(all))
	}
	return refs
}

// withStorageKeys returns a copy of st whose medusa.ini also sets the
// [storage] keys kv.
func withStorageKeys(t *testing.T, st *store, kv map[string]string) *store {
	t.Helper()
	data, err := os.ReadFile(st.ini)
	if err != nil {
		t.Fatal(err)
	}
	lines := "[storage]\n"
	for _, k := range slices.Sorted(maps.Keys(kv)) {
		lines += k + " = " + kv[k] + "\n"
	}
	text := string(data)
	if !strings.Contains(text, "[storage]\n") {
		t.Fatalf("%s has no [storage] section:\n%s", st.ini, text)
	}
	c := *st
	c.ini = filepath.Join(t.TempDir(), "medusa-retention.ini")
	c.pyCache = nil
	if err := os.WriteFile(c.ini, []byte(strings.Replace(text, "[storage]\n", lines, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	return &c
}

// checkPurgeSummary checks that the summary our purge or delete-backup
// printed names the deleted backups and none of the kept ones.
func checkPurgeSummary(t *testing.T, r result, deleted, kept []string) {
	t.Helper()
	t.Logf("our medusa %s printed:\n%s", r.cmd, r.stdout)
	for _, name := range deleted {
		if !strings.Contains(r.stdout, "- backup "+name+" of ") {
			t.Errorf("summary does not report %s as deleted:\n%s", name, r)
		}
	}
	for _, name := range kept {
		if strings.Contains(r.stdout, "- backup "+name+" of ") {
			t.Errorf("summary reports %s as deleted:\n%s", name, r)
		}
	}
	for _, want := range []string{"Backups purged: " + strconv.Itoa(len(deleted)) + "\n",
		"Objects kept by the 0-day grace period: 0\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, r)
		}
	}
}

// checkRemaining checks the bucket after a deletion: both tools list
// exactly the remaining backups with the same text and verify each of
// them; nothing of the deleted backups is left under their directories or
// in the index; the pool holds exactly the keys the remaining manifests
// name.
func checkRemaining(t *testing.T, st *store, refs map[string]map[string]bool, deleted, remaining []string) {
	t.Helper()
	for _, args := range [][]string{{"list-backups"}, {"list-backups", "--output", "json"}} {
		our, py := must(t, st.ours(t, args...)), must(t, st.python(t, args...))
		if py.stdout != our.stdout {
			t.Errorf("medusa %s: outputs differ\n%s\n%s\n%s", strings.Join(args, " "), py, our,
				lineDiff(py.stdout, our.stdout))
		}
		if len(args) == 1 {
			var names []string
			for _, m := range listedRE.FindAllStringSubmatch(our.stdout, -1) {
				names = append(names, m[1])
			}
			slices.Sort(names)
			if !slices.Equal(names, remaining) || strings.Contains(our.stdout, "Incomplete") {
				t.Errorf("list-backups shows %v, want exactly %v, complete:\n%s", names, remaining, our)
			}
		}
	}
	for _, name := range remaining {
		want := "Validating " + name + " ...\n- Completion: OK!\n- Manifest validated: OK!!\n"
		for _, run := range []func(*testing.T, ...string) result{st.ours, st.python} {
			v := must(t, run(t, "verify", "--backup-name", name))
			if v.stdout != want {
				t.Errorf("verify of %s: want\n%s\n%s", name, want, v)
			}
		}
	}
	for _, name := range deleted {
		for _, p := range []string{st.layout.NodeBackupPrefix(st.fqdn, name), st.layout.BackupIndexPrefix(name)} {
			if left := listObjects(t, st, p); len(left) > 0 {
				t.Errorf("%s was deleted but %d objects are left under %s: %v", name, len(left), p,
					slices.Sorted(maps.Keys(left)))
			}
		}
	}
	pool := listObjects(t, st, st.layout.PoolPrefix(st.fqdn))
	want := union(refs, remaining...)
	for key := range pool {
		if !want[key] {
			t.Errorf("pool object %s is named by no manifest of %v but was not deleted (grace 0)", key, remaining)
		}
	}
	for key := range want {
		if _, ok := pool[key]; !ok {
			t.Errorf("pool object %s, named by a manifest of %v, was deleted", key, remaining)
		}
	}
}

// union returns the keys named by the manifests of the backups names.
func union(refs map[string]map[string]bool, names ...string) map[string]bool {
	out := map[string]bool{}
	for _, n := range names {
		maps.Copy(out, refs[n])
	}
	return out
}

// subtract returns the keys of a that are not in b.
func subtract(a, b map[string]bool) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		if !b[k] {
			out[k] = true
		}
	}
	return out
}
