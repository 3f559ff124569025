package cluster

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func node(host, dc, rack string, tokens ...string) Node {
	return Node{Host: host, DC: dc, Rack: rack, Tokens: tokens, Up: true}
}

var backup3 = []Node{
	node("10.0.0.3", "dc1", "r1", "300"),
	node("10.0.0.1", "dc1", "r1", "-100"),
	node("10.0.0.2", "dc1", "r2", "100"),
}

func finishedAll(nodes []Node) map[string]int64 {
	m := map[string]int64{}
	for i, n := range nodes {
		m[n.Host] = int64(1000 * (i + 1))
	}
	return m
}

func TestMapSameTopology(t *testing.T) {
	t.Parallel()
	targets := []Node{
		node("b", "dc1", "rack-x", "5"),
		node("c", "dc1", "rack-y", "7"),
		node("a", "dc1", "rack-x", "9"),
	}
	m, err := MapSameTopology(backup3, targets, false)
	if err != nil {
		t.Fatal(err)
	}
	// r1: 10.0.0.1 (-100), 10.0.0.3 (300) -> rack-x: b (5), a (9); r2 -> rack-y.
	want := map[string]string{"10.0.0.1": "b", "10.0.0.3": "a", "10.0.0.2": "c"}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("mapping %v, want %v", m, want)
	}
	// Racks of other sizes: refused, unless --ignore-racks (token order).
	targets[1].Rack = "rack-x"
	if _, err := MapSameTopology(backup3, targets, false); err == nil || !strings.Contains(err.Error(), "nodes per rack differ") {
		t.Errorf("racks of other sizes: err = %v", err)
	}
	m, err = MapSameTopology(backup3, targets, true)
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]string{"10.0.0.1": "b", "10.0.0.2": "c", "10.0.0.3": "a"}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("--ignore-racks mapping %v, want %v", m, want)
	}
	// Tokens per node differ.
	targets[2].Tokens = []string{"9", "10"}
	if _, err := MapSameTopology(backup3, targets, true); err == nil || !strings.Contains(err.Error(), "tokens per node") {
		t.Errorf("tokens per node: err = %v", err)
	}
	if _, err := MapSameTopology(backup3, targets[:2], true); err == nil || !strings.Contains(err.Error(), "3 nodes") {
		t.Errorf("node counts: err = %v", err)
	}
}

func TestSpreadSources(t *testing.T) {
	t.Parallel()
	src := []Source{{"n1", 100}, {"n2", 300}, {"n3", 200}, {"n4", 0}, {"n5", 50}}
	got := SpreadSources(src, []string{"t1", "t2"})
	want := map[string][]string{"t1": {"n2", "n5"}, "t2": {"n1", "n3", "n4"}} // 350 and 300 bytes
	if !reflect.DeepEqual(got, want) {
		t.Errorf("spread %v, want %v", got, want)
	}
	for i := 0; i < 20; i++ { // deterministic whatever the input order
		rev := []Source{src[4], src[3], src[2], src[1], src[0]}
		if again := SpreadSources(rev, []string{"t1", "t2"}); !reflect.DeepEqual(again, want) {
			t.Fatalf("run %d: %v", i, again)
		}
	}
	// More targets than sources: one each, every source placed once.
	got = SpreadSources([]Source{{"n1", 0}, {"n2", 0}}, []string{"t1", "t2", "t3"})
	if len(got) != 2 || len(got["t1"]) != 1 || len(got["t2"]) != 1 {
		t.Errorf("zero-byte sources: %v", got)
	}
}

func TestParseHostList(t *testing.T) {
	t.Parallel()
	good := "# new cluster\nTrue,new1,10.0.0.1\n\n false , new2 , 10.0.0.2\nFALSE,new3,10.0.0.3\n"
	got, err := ParseHostList("hosts.txt", strings.NewReader(good), ",")
	if err != nil {
		t.Fatal(err)
	}
	want := []HostListEntry{{true, "new1", "10.0.0.1", 2}, {false, "new2", "10.0.0.2", 4}, {false, "new3", "10.0.0.3", 5}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got, err := ParseHostList("h", strings.NewReader("True|a|b\n"), "|"); err != nil || got[0].Target != "a" {
		t.Errorf("separator |: %v %v", got, err)
	}
	bad := "True,new1,10.0.0.1\nyes,new2,10.0.0.2\nTrue,new3\nFalse,new1,10.0.0.4\nFalse,new5,10.0.0.1\n"
	_, err = ParseHostList("hosts.txt", strings.NewReader(bad), ",")
	for _, w := range []string{"hosts.txt:2: is_seed is \"yes\"", "hosts.txt:3: want is_seed,target,source, got 2 fields",
		"hosts.txt:4: target new1 already named on line 1", "hosts.txt:5: source 10.0.0.1 already named on line 1"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v lacks %q", err, w)
		}
	}
	if _, err := ParseHostList("empty", strings.NewReader("# nothing\n"), ","); err == nil {
		t.Error("an empty host list is accepted")
	}
}

func TestBuildPlanModes(t *testing.T) {
	t.Parallel()
	fin := finishedAll(backup3)
	// In place: the targets are the backup's nodes; seeds first.
	p, err := BuildPlan(PlanInput{Backup: "b1", BackupNodes: backup3, Finished: fin, Targets: backup3, Seeds: []string{"10.0.0.2"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Mode != ModeInPlace || !reflect.DeepEqual(p.Targets(), []string{"10.0.0.2", "10.0.0.1", "10.0.0.3"}) ||
		!reflect.DeepEqual(p.Seeds(), []string{"10.0.0.2"}) {
		t.Errorf("in place: %+v", p)
	}
	for _, a := range p.Assignments {
		if len(a.Sources) != 1 || a.Sources[0] != a.Target || a.Bytes != fin[a.Target] {
			t.Errorf("in place assignment %+v", a)
		}
	}
	// No seed among the targets (e.g. seeds written differently): every
	// node starts at once, and the plan says so.
	p, _ = BuildPlan(PlanInput{Backup: "b1", BackupNodes: backup3, Finished: fin, Targets: backup3, Seeds: []string{"elsewhere"}})
	if len(p.Seeds()) != 0 || !strings.Contains(p.Why, "every node starts at once") {
		t.Errorf("no seed: seeds %v, why %q", p.Seeds(), p.Why)
	}
	// Another cluster of the same shape: remote.
	other := []Node{node("n1", "dc1", "ra", "1"), node("n2", "dc1", "ra", "2"), node("n3", "dc1", "rb", "3")}
	p, err = BuildPlan(PlanInput{Backup: "b1", BackupNodes: backup3, Finished: fin, Targets: other, Seeds: []string{"n3"}})
	if err != nil || p.Mode != ModeRemote {
		t.Fatalf("remote: %+v %v", p, err)
	}
	got := map[string]string{}
	for _, a := range p.Assignments {
		got[a.Sources[0]] = a.Target
	}
	if want := map[string]string{"10.0.0.1": "n1", "10.0.0.3": "n2", "10.0.0.2": "n3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("remote mapping %v, want %v", got, want)
	}
	// Another shape: sstableloader, every target up.
	two := other[:2]
	p, err = BuildPlan(PlanInput{Backup: "b1", BackupNodes: backup3, Finished: fin, Targets: two})
	if err != nil || p.Mode != ModeLoader || !strings.Contains(p.Why, "topologies differ") || len(p.Assignments) != 2 {
		t.Fatalf("loader: %+v %v", p, err)
	}
	down := []Node{two[0], {Host: "n2", DC: "dc1", Rack: "ra", Tokens: []string{"2"}}}
	if _, err := BuildPlan(PlanInput{Backup: "b1", BackupNodes: backup3, Finished: fin, Targets: down}); err == nil ||
		!strings.Contains(err.Error(), "down: n2") {
		t.Errorf("loader with a node down: %v", err)
	}
	// --use-sstableloader in place.
	p, _ = BuildPlan(PlanInput{Backup: "b1", BackupNodes: backup3, Finished: fin, Targets: backup3, UseSSTableLoader: true})
	if p.Mode != ModeLoader || len(p.Assignments) != 3 {
		t.Errorf("--use-sstableloader: %+v", p)
	}
	// Targets overlapping the backup partly: refused.
	mixed := []Node{backup3[0], other[1], other[2]}
	if _, err := BuildPlan(PlanInput{Backup: "b1", BackupNodes: backup3, Finished: fin, Targets: mixed}); err == nil ||
		!strings.Contains(err.Error(), "--host-list") {
		t.Errorf("partial overlap: %v", err)
	}
}

func TestBuildPlanIncomplete(t *testing.T) {
	t.Parallel()
	fin := finishedAll(backup3)
	delete(fin, "10.0.0.3")
	delete(fin, "10.0.0.1")
	_, err := BuildPlan(PlanInput{Backup: "b1", BackupNodes: backup3, Finished: fin, Targets: backup3})
	if err == nil || !strings.Contains(err.Error(), "2 of 3 nodes have no finished backup (10.0.0.1, 10.0.0.3)") ||
		!strings.Contains(err.Error(), "--allow-incomplete") {
		t.Errorf("incomplete: %v", err)
	}
	p, err := BuildPlan(PlanInput{Backup: "b1", BackupNodes: backup3, Finished: fin, Targets: backup3, AllowIncomplete: true})
	if err != nil || !reflect.DeepEqual(p.Targets(), []string{"10.0.0.2"}) || !reflect.DeepEqual(p.NotRestored, []string{"10.0.0.1", "10.0.0.3"}) {
		t.Errorf("allowed: %+v %v", p, err)
	}
}

func TestBuildPlanHostList(t *testing.T) {
	t.Parallel()
	fin := finishedAll(backup3)
	hl := []HostListEntry{{false, "new2", "10.0.0.2", 2}, {true, "new1", "10.0.0.1", 1}, {false, "new3", "10.0.0.3", 3}}
	p, err := BuildPlan(PlanInput{Backup: "b1", BackupNodes: backup3, Finished: fin, HostList: hl, Seeds: []string{"ignored"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Mode != ModeRemote || !reflect.DeepEqual(p.Targets(), []string{"new1", "new2", "new3"}) || !p.Assignments[0].Seed {
		t.Errorf("host list plan %+v", p)
	}
	hl = append(hl, HostListEntry{false, "new4", "10.9.9.9", 7})
	if _, err := BuildPlan(PlanInput{Backup: "b1", BackupNodes: backup3, Finished: fin, HostList: hl}); err == nil ||
		!strings.Contains(err.Error(), "line 7: source 10.9.9.9: not in the backup") {
		t.Errorf("unknown source: %v", err)
	}
}

func ExampleWritePlan() {
	p, _ := BuildPlan(PlanInput{Backup: "b1", BackupNodes: backup3, Finished: finishedAll(backup3), Targets: backup3,
		Seeds: []string{"10.0.0.1"}})
	_ = WritePlan(stdout{}, p, RestoreOptions{Parallel: 2})
	// Output:
	// Restore plan for backup b1
	// Mode: in-place (the target nodes are the backed-up nodes)
	//   SOURCE        TARGET    SEED  BYTES
	//   10.0.0.1  ->  10.0.0.1  yes   2.0 KiB
	//   10.0.0.2  ->  10.0.0.2  no    2.9 KiB
	//   10.0.0.3  ->  10.0.0.3  no    1000 B
	// Total: 5.9 KiB on 3 nodes
	// Stopped: 10.0.0.1, 10.0.0.2, 10.0.0.3 (all of them before any node is restored)
	// Steps: stop every target; restore-node on each target (download, check, place, start); seeds 10.0.0.1 start first, then 10.0.0.2, 10.0.0.3 once a seed answers; at most 2 nodes at a time
}

type stdout struct{}

func (stdout) Write(b []byte) (int, error) { fmt.Print(string(b)); return len(b), nil }
