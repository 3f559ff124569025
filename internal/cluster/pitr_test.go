package cluster

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/commitlog"
	"github.com/medusa-go/medusa/internal/remote"
)

// pitrExec is fakeExec, and restore-node --pitr prints its summary with
// a mutation count per host.
type pitrExec struct {
	*fakeExec
	replayed map[string]int
}

func (p pitrExec) Run(ctx context.Context, host string, cmd remote.Command, stdout, stderr io.Writer) error {
	err := p.fakeExec.Run(ctx, host, cmd, stdout, stderr)
	if err == nil && subCmd(cmd.Argv) == "restore-node" && slices.Contains(cmd.Argv, "--pitr") {
		fmt.Fprintf(stdout, "Point-in-time restore to %s: base backup b1, 3 commit log segments replayed (a to b), "+
			"%d mutations replayed\n", cmd.Argv[slices.Index(cmd.Argv, "--pitr")+1], p.replayed[host])
	}
	return err
}

// fakePlanner plans from per-host newest writes; holes names hosts whose
// archive has a hole.
type fakePlanner struct {
	mu     sync.Mutex
	newest map[string]time.Time
	bases  map[string]string // the base each host picks without --backup-name
	holes  map[string]bool
	calls  []string
}

func (f *fakePlanner) plan(_ context.Context, fqdn, backup string, target time.Time, latest bool,
	_ time.Duration) (commitlog.RestorePlan, error) {
	f.mu.Lock()
	f.calls = append(f.calls, fmt.Sprintf("%s %s %v", fqdn, backup, latest))
	f.mu.Unlock()
	if f.holes[fqdn] {
		return commitlog.RestorePlan{}, fmt.Errorf("point-in-time restore of %s: %w: archived segments are "+
			"missing: segment id 12", fqdn, commitlog.ErrNotRestorable)
	}
	if backup == "" {
		backup = f.bases[fqdn]
	}
	if latest {
		target = f.newest[fqdn]
	}
	started := map[string]int64{"b1": 1, "b2": 2}[backup]
	return commitlog.RestorePlan{Base: backup, BaseMeta: commitlog.PitrMeta{SnapshotStartedUs: started},
		Target: target, NewestWrite: f.newest[fqdn],
		Segments: []commitlog.SegmentInfo{{Name: "CommitLog-7-1.log", RawSize: 10}}}, nil
}

func pitrDeps(ex remote.Executor, pl *fakePlanner, out io.Writer) RestoreDeps {
	d := restoreDeps(nil, out, backup3, "10.0.0.3")
	d.Exec, d.PlanPITR = ex, pl.plan
	return d
}

func TestRestorePITRInPlace(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	pl := &fakePlanner{newest: map[string]time.Time{"10.0.0.1": base.Add(3 * time.Second),
		"10.0.0.2": base.Add(time.Second), "10.0.0.3": base.Add(2 * time.Second)}}
	ex := pitrExec{&fakeExec{}, map[string]int{"10.0.0.1": 11, "10.0.0.2": 22, "10.0.0.3": 33}}
	var out bytes.Buffer
	// --pitr-latest: the earliest of the newest writes (10.0.0.2's).
	res, err := Restore(t.Context(), pitrDeps(ex, pl, &out),
		RestoreOptions{Backup: "b1", Yes: true, PITR: &PITROptions{Latest: true, Skew: 90 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	want := base.Add(time.Second)
	if res.PITR == nil || !res.PITR.Target.Equal(want) || !res.PITR.Latest || len(res.PITR.Nodes) != 3 {
		t.Fatalf("PITR %+v", res.PITR)
	}
	n := 0
	for _, c := range ex.Calls() {
		if !strings.Contains(c, "restore-node") {
			continue
		}
		n++
		if !strings.Contains(c, "--in-place --pitr 2026-05-01T12:00:01Z --pitr-single-node --pitr-skew 1m30s") ||
			!strings.Contains(c, "--backup-name b1") {
			t.Errorf("restore-node call %s", c)
		}
	}
	if n != 3 {
		t.Errorf("%d restore-node calls", n)
	}
	for _, s := range res.Nodes {
		if c, ok := s.Replayed(); !ok || c != ex.replayed[s.Host] {
			t.Errorf("%s: replayed %d %v, want %d", s.Host, c, ok, ex.replayed[s.Host])
		}
	}
	if !strings.Contains(out.String(), "Point in time: 2026-05-01T12:00:01.000000Z (the earliest") ||
		!strings.Contains(out.String(), "10.0.0.2: base b1, 1 segments") {
		t.Errorf("output:\n%s", out.String())
	}
}

// A hole on one node refuses before any node is stopped, naming it.
func TestRestorePITRHoleRefusesFirst(t *testing.T) {
	t.Parallel()
	pl := &fakePlanner{newest: map[string]time.Time{}, holes: map[string]bool{"10.0.0.2": true}}
	ex := &fakeExec{}
	for _, par := range []int{1, 0} { // stop-first and gated paths
		_, err := Restore(t.Context(), pitrDeps(ex, pl, io.Discard), RestoreOptions{Backup: "b1", Yes: true,
			Parallel: par, PITR: &PITROptions{Target: time.Now()}})
		if err == nil || !strings.Contains(err.Error(), "10.0.0.2: point-in-time") ||
			!strings.Contains(err.Error(), "1 of 3 nodes cannot be restored") ||
			!strings.Contains(err.Error(), "no node was stopped") {
			t.Errorf("-pr %d: err = %v", par, err)
		}
	}
	if calls := ex.Calls(); len(calls) != 0 {
		t.Errorf("commands ran before the refusal: %v", calls)
	}
}

// Without --backup-name the base is the oldest of the nodes' choices;
// another cluster (remote mode) is refused before anything runs.
func TestRestorePITRBaseAndModes(t *testing.T) {
	t.Parallel()
	now := time.Now()
	pl := &fakePlanner{newest: map[string]time.Time{"10.0.0.1": now, "10.0.0.2": now, "10.0.0.3": now},
		bases: map[string]string{"10.0.0.1": "b2", "10.0.0.2": "b1", "10.0.0.3": "b2"}}
	ex := &fakeExec{}
	res, err := Restore(t.Context(), pitrDeps(ex, pl, io.Discard), RestoreOptions{Yes: true, DryRun: true,
		PITR: &PITROptions{Target: now}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Plan.Backup != "b1" || res.PITR.Nodes["10.0.0.1"].Base != "b1" {
		t.Errorf("base %s, node plan %+v", res.Plan.Backup, res.PITR.Nodes["10.0.0.1"])
	}
	other := []Node{node("n1", "dc1", "ra", "1"), node("n2", "dc1", "ra", "2"), node("n3", "dc1", "rb", "3")}
	d := pitrDeps(ex, pl, io.Discard)
	d.Targets = func(context.Context, string) ([]Node, error) { return other, nil }
	_, err = Restore(t.Context(), d, RestoreOptions{Backup: "b1", Yes: true, PITR: &PITROptions{Target: now}})
	if err == nil || !strings.Contains(err.Error(), "restores every node in place") {
		t.Errorf("remote mode: %v", err)
	}
	for _, c := range ex.Calls() {
		if !strings.HasSuffix(c, "--version") {
			t.Errorf("ran %s", c)
		}
	}
}
