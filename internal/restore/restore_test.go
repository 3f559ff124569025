package restore

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// backedUp is the backup of the fixture node; nowOnNode what the node
// holds at restore time.
var (
	backedUp = tables{
		"ks/users-1111":           {"nb-1-big-Data.db": "users v1", "nb-1-big-Index.db": "idx v1", ".users_email_idx/nb-1-big-Data.db": "2i v1"},
		"ks/orders-2222":          {"nb-3-big-Data.db": "orders v1"},
		"ks/empty-3333":           {},
		"ks/peers_book-4444":      {"nb-1-big-Data.db": "user peers table v1"},
		"system/local-7ad5":       {"nb-1-big-Data.db": "local v1"},
		"system/peers_v2-c4":      {"nb-1-big-Data.db": "peers v1"},
		"system_schema/tables-af": {"nb-1-big-Data.db": "schema v1"},
		"system_auth/roles-5b":    {"nb-1-big-Data.db": "roles v1"},
	}
	nowOnNode = tables{
		"ks/users-1111":           {"nb-5-big-Data.db": "users v2", "snapshots/s1/nb-4-big-Data.db": "snapshot s1"},
		"ks/orders-2222":          {"nb-6-big-Data.db": "orders v2"},
		"ks/empty-3333":           {"nb-2-big-Data.db": "written after the backup"},
		"ks/new-9999":             {"nb-1-big-Data.db": "table created after the backup"},
		"ks/peers_book-4444":      {"nb-9-big-Data.db": "user peers table v2"},
		"system/local-7ad5":       {"nb-9-big-Data.db": "local v2"},
		"system/peers_v2-c4":      {"nb-9-big-Data.db": "peers v2"},
		"system_schema/tables-af": {"nb-9-big-Data.db": "schema v2"},
		"system_auth/roles-5b":    {"nb-9-big-Data.db": "roles v2"},
	}
)

func newScenario(t *testing.T) *fixture {
	f := newFixture(t)
	f.backup(backedUp)
	f.nodeTables(nowOnNode)
	return f
}

// tableFiles returns the files of one table directory on the node ("" when absent).
func (f *fixture) table(name string) map[string]string {
	dir := filepath.Join(f.paths.DataDir, filepath.FromSlash(name))
	if _, err := os.Stat(dir); err != nil {
		return nil
	}
	out := map[string]string{}
	for rel, v := range tree(f.t, dir) {
		if v != "<dir>" {
			out[filepath.ToSlash(rel)] = v
		}
	}
	return out
}

func sameFiles(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d files %v, want %v", what, len(got), got, want)
		return
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s = %q, want %q", what, k, got[k], v)
		}
	}
}

// assertClean checks that nothing of the restore is left: no aside
// directories, no download, no journal.
func (f *fixture) assertClean() {
	f.t.Helper()
	for _, dir := range []string{f.paths.DataDir, f.paths.CommitlogDir, f.paths.SavedCachesDir} {
		if _, err := os.Stat(filepath.Join(dir, ".medusa-aside-test")); err == nil {
			f.t.Errorf("aside directory left in %s", dir)
		}
	}
	names, _ := children(f.temp, "")
	for _, n := range names {
		if n != LockName {
			f.t.Errorf("left in the temporary directory: %s", n)
		}
	}
}

func TestRestoreInPlace(t *testing.T) {
	f := newScenario(t)
	res, err := f.run(f.options())
	if err != nil {
		t.Fatal(err)
	}
	for name, files := range backedUp {
		if name == "ks/empty-3333" {
			continue
		}
		want := files
		if name == "ks/users-1111" {
			want = map[string]string{"snapshots/s1/nb-4-big-Data.db": "snapshot s1"}
			for k, v := range files {
				want[k] = v
			}
		}
		sameFiles(t, name, f.table(name), want)
	}
	if got := f.table("ks/empty-3333"); got != nil {
		t.Errorf("table empty in the backup still has files: %v", got)
	}
	sameFiles(t, "table created after the backup", f.table("ks/new-9999"), nowOnNode["ks/new-9999"])
	for _, dir := range []string{f.paths.CommitlogDir, f.paths.SavedCachesDir} {
		if names, _ := children(dir, ""); len(names) != 0 {
			t.Errorf("%s still holds %v", dir, names)
		}
	}
	if got := f.node.Calls(); !slices.Equal(got, []string{"drain", "stop", "start"}) {
		t.Errorf("node calls %v, want drain, stop, start", got)
	}
	if len(res.Replaced) != 8 || res.Plan.Files != 9 {
		t.Errorf("replaced %d dirs, %d files; want 8 and 9", len(res.Replaced), res.Plan.Files)
	}
	if yaml, _ := os.ReadFile(f.paths.ConfigFile); strings.Contains(string(yaml), "\ninitial_token:") {
		t.Errorf("in-place restore changed cassandra.yaml:\n%s", yaml)
	}
	f.assertClean()
}

func TestRestoreRemote(t *testing.T) {
	for _, keepAuth := range []bool{false, true} {
		t.Run(map[bool]string{false: "overwrite-auth", true: "keep-auth"}[keepAuth], func(t *testing.T) {
			f := newScenario(t)
			o := f.options()
			o.InPlace, o.KeepAuth = false, keepAuth
			if _, err := f.run(o); err != nil {
				t.Fatal(err)
			}
			for _, wiped := range []string{"system/local-7ad5", "system/peers_v2-c4"} {
				if got := f.table(wiped); got != nil {
					t.Errorf("%s was not wiped: %v", wiped, got)
				}
			}
			// Only the system keyspace's peers tables are wiped (Medusa's
			// precedence bug also wiped this one).
			sameFiles(t, "ks/peers_book", f.table("ks/peers_book-4444"), backedUp["ks/peers_book-4444"])
			wantAuth := backedUp["system_auth/roles-5b"]
			if keepAuth {
				wantAuth = nowOnNode["system_auth/roles-5b"]
			}
			sameFiles(t, "system_auth", f.table("system_auth/roles-5b"), wantAuth)
			yaml, _ := os.ReadFile(f.paths.ConfigFile)
			for _, want := range []string{"initial_token: -100,4200\n", "num_tokens: 2\n", "auto_bootstrap: false\n",
				"# initial_token:\n", "listen_address: 127.0.0.1\n"} {
				if !strings.Contains(string(yaml), want) {
					t.Errorf("cassandra.yaml lacks %q:\n%s", want, yaml)
				}
			}
			f.assertClean()
		})
	}
}

func TestRestorePartialLeavesOtherTables(t *testing.T) {
	f := newScenario(t)
	o := f.options()
	o.Tables = []string{"ks.orders"}
	res, err := f.run(o)
	if err != nil {
		t.Fatal(err)
	}
	sameFiles(t, "orders", f.table("ks/orders-2222"), backedUp["ks/orders-2222"])
	sameFiles(t, "system_schema", f.table("system_schema/tables-af"), backedUp["system_schema/tables-af"])
	for _, other := range []string{"ks/users-1111", "ks/empty-3333", "ks/peers_book-4444"} {
		sameFiles(t, other, f.table(other), nowOnNode[other])
	}
	if !slices.Contains(res.Plan.Ignored, "ks.users") {
		t.Errorf("ignored %v, want ks.users among them", res.Plan.Ignored)
	}
	f.assertClean()
}

func TestRestorePartialNeedsDrain(t *testing.T) {
	f := newScenario(t)
	before := f.nodeTree()
	f.node.drainErr = errors.New("nodetool: connection refused")
	o := f.options()
	o.Keyspaces = []string{"ks"}
	_, err := f.run(o)
	var se *StageError
	if !errors.As(err, &se) || se.Stage != StageStop || !se.RolledBack {
		t.Fatalf("err = %v, want a rolled-back failure at stage stop", err)
	}
	if d := diffTrees(before, f.nodeTree()); len(d) > 0 {
		t.Errorf("node files changed: %v", d)
	}
	// Nothing was moved and Cassandra still answers CQL: it is left running.
	if got := f.node.Calls(); !slices.Equal(got, []string{"drain"}) {
		t.Errorf("node calls %v, want only drain", got)
	}
	// When it no longer answers (drain got as far as closing the native
	// transport), it is restarted.
	f.node.drainDeafens, f.node.calls = true, nil
	if _, err := f.run(o); !errors.As(err, &se) || !se.RolledBack {
		t.Fatalf("err = %v, want a rollback", err)
	}
	if got := f.node.Calls(); !slices.Equal(got, []string{"drain", "stop", "start"}) {
		t.Errorf("node calls %v: a half-drained node must be restarted", got)
	}
	if d := diffTrees(before, f.nodeTree()); len(d) > 0 {
		t.Errorf("node files changed: %v", d)
	}
}

func TestNothingToRestore(t *testing.T) {
	f := newScenario(t)
	o := f.options()
	f.backup(tables{})
	_, err := f.run(o)
	if !errors.Is(err, ErrNothingToRestore) {
		t.Fatalf("err = %v, want ErrNothingToRestore", err)
	}
	if len(f.node.Calls()) != 0 {
		t.Errorf("node touched: %v", f.node.Calls())
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	f := newScenario(t)
	before := tree(t, f.root)
	o := f.options()
	o.DryRun, o.InPlace = true, false
	var out bytes.Buffer
	res, err := runText(t.Context(), f.deps(), o, &out)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffTrees(before, tree(t, f.root)); len(d) > 0 {
		t.Errorf("dry run changed files: %v", d)
	}
	if len(f.node.Calls()) != 0 {
		t.Errorf("dry run touched the node: %v", f.node.Calls())
	}
	if !res.DryRun {
		t.Error("result not marked dry run")
	}
	text := out.String()
	for _, want := range []string{"Restore plan (dry run) for backup b1 of node1.example.com: remote",
		"Download: 7 files", "ks.users-1111: 3 files", "replaces " + filepath.Join(f.paths.DataDir, "ks", "users-1111"),
		"Tables wiped", "system.local-7ad5", "initial_token: -100,4200", "Moved aside: 1 commit log entries",
		"nothing was downloaded, stopped or changed"} {
		if !strings.Contains(text, want) {
			t.Errorf("plan lacks %q:\n%s", want, text)
		}
	}
}

func TestInPlaceWithKeepAuthRefused(t *testing.T) {
	f := newScenario(t)
	o := f.options()
	o.KeepAuth = true
	if _, err := f.run(o); err == nil || !strings.Contains(err.Error(), "--keep-auth") {
		t.Fatalf("err = %v, want a refusal of --keep-auth in place", err)
	}
}

func TestRemoteNeedsTokens(t *testing.T) {
	f := newScenario(t)
	o := f.options()
	o.InPlace = false
	o.FQDN = "node3.example.com"
	if _, err := f.run(o); err == nil || !strings.Contains(err.Error(), "no such backup") {
		t.Fatalf("err = %v, want no such backup", err)
	}
}

func TestWaitForSeeds(t *testing.T) {
	f := newScenario(t)
	o := f.options()
	o.Seeds = []string{"seed-down", "seed-up"}
	if _, err := f.run(o); err != nil {
		t.Fatal(err)
	}
	calls := f.node.Calls()
	if i := slices.Index(calls, "seed seed-up"); i < 0 || i > slices.Index(calls, "start") {
		t.Errorf("seeds not awaited before start: %v", calls)
	}
	f = newScenario(t)
	before := f.nodeTree()
	o.Seeds = []string{"seed-down"}
	_, err := f.run(o)
	var se *StageError
	if !errors.As(err, &se) || se.Stage != StageStart || !se.RolledBack || !strings.Contains(err.Error(), "no seed") {
		t.Fatalf("err = %v, want a rolled-back start failure", err)
	}
	if d := diffTrees(before, f.nodeTree()); len(d) > 0 {
		t.Errorf("node files changed: %v", d)
	}
}

func TestVerifyQuery(t *testing.T) {
	for _, tc := range []struct {
		name   string
		rows   int
		first  []string
		wantOK bool
	}{
		{"match", 3, []string{"1", "True"}, true},
		{"rows differ", 2, []string{"1", "True"}, false},
		{"result differs", 3, []string{"2", "True"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newScenario(t)
			before := f.nodeTree()
			f.node.rows, f.node.first = tc.rows, tc.first
			o := f.options()
			o.Verify = true
			o.Checks = Checks{Query: "SELECT k, v FROM ks.t", ExpectedRows: 3, ExpectedResult: "1,True"}
			_, err := f.run(o)
			if tc.wantOK {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var se *StageError
			if !errors.As(err, &se) || se.Stage != StageVerify || !se.RolledBack {
				t.Fatalf("err = %v, want a rolled-back verify failure", err)
			}
			if d := diffTrees(before, f.nodeTree()); len(d) > 0 {
				t.Errorf("rollback left differences: %v", d)
			}
		})
	}
}

// TestKubernetesMode: medusa neither stops nor starts Cassandra (the
// operator does); the files are placed, the remote tokens written and the
// previous files removed once placed.
func TestKubernetesMode(t *testing.T) {
	f := newScenario(t)
	f.node.running = false
	o := f.options()
	o.ManageCassandra, o.InPlace = false, false
	if _, err := f.run(o); err != nil {
		t.Fatal(err)
	}
	if calls := f.node.Calls(); len(calls) != 0 {
		t.Errorf("node calls %v, want none", calls)
	}
	sameFiles(t, "ks/users", f.table("ks/users-1111"), map[string]string{
		"nb-1-big-Data.db": "users v1", "nb-1-big-Index.db": "idx v1", ".users_email_idx/nb-1-big-Data.db": "2i v1",
		"snapshots/s1/nb-4-big-Data.db": "snapshot s1"})
	if yaml, _ := os.ReadFile(f.paths.ConfigFile); !strings.Contains(string(yaml), "initial_token: -100,4200") {
		t.Errorf("tokens not written:\n%s", yaml)
	}
	f.assertClean()
}

// TestKubernetesRequireDown: the init container's restore (RequireDown)
// looks once whether Cassandra is down, restores when it is, and changes
// nothing when it runs.
func TestKubernetesRequireDown(t *testing.T) {
	t.Run("down", func(t *testing.T) {
		f := newScenario(t)
		f.node.running = false
		o := f.options()
		o.ManageCassandra, o.RequireDown = false, true
		if _, err := f.run(o); err != nil {
			t.Fatal(err)
		}
		if calls := f.node.Calls(); len(calls) != 0 {
			t.Errorf("node calls %v, want none (not stopped, not started)", calls)
		}
		f.assertClean()
	})
	t.Run("running", func(t *testing.T) {
		f := newScenario(t)
		before := f.nodeTree()
		o := f.options()
		o.ManageCassandra, o.RequireDown = false, true
		_, err := f.run(o)
		var se *StageError
		if !errors.As(err, &se) || se.Stage != StageStop || se.NodeTouched || !strings.Contains(err.Error(), "seems to be running") {
			t.Fatalf("err = %v, want a stop-stage error before anything changed", err)
		}
		if d := diffTrees(before, f.nodeTree()); len(d) > 0 {
			t.Errorf("the node's files changed: %v", d)
		}
		f.assertClean()
	})
}
