package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/remote"
)

// fakeExec records every command and answers from fail (host + " " +
// the sub-command -> exit code).
type fakeExec struct {
	mu       sync.Mutex
	calls    []string // "host: argv"
	fail     map[string]int
	unreach  map[string]bool
	blockNS  chan struct{} // when set, non-seed restores wait for it or ctx
	seedHost string
	gates    map[string]string // gate dir -> step opened
}

func (f *fakeExec) Check(_ context.Context, host string) error {
	if f.unreach[host] {
		return fmt.Errorf("%s: ssh: connect: connection refused", host)
	}
	return nil
}

func (f *fakeExec) Run(ctx context.Context, host string, cmd remote.Command, stdout, stderr io.Writer) error {
	f.mu.Lock()
	f.calls = append(f.calls, host+": "+strings.Join(cmd.Argv, " "))
	f.mu.Unlock()
	sub := subCmd(cmd.Argv)
	if sub == GateCommand {
		f.mu.Lock()
		if f.gates == nil {
			f.gates = map[string]string{}
		}
		f.gates[cmd.Argv[2]] = cmd.Argv[3]
		f.mu.Unlock()
		return nil
	}
	if sub == "restore-node" && slices.Contains(cmd.Argv, "--gate") {
		if err := f.gated(ctx, host, stderr); err != nil {
			return err
		}
	}
	if f.blockNS != nil && sub == "restore-node" && host != f.seedHost {
		select {
		case <-f.blockNS:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if code := f.fail[host+" "+sub]; code != 0 {
		fmt.Fprintf(stderr, "ERROR [main] %s failed on %s\n", sub, host)
		return &remote.ExitError{Host: host, Code: code}
	}
	fmt.Fprintf(stdout, "%s ok\n", sub)
	return nil
}

func (f *fakeExec) Close() error { return nil }

// gated plays restore-node --gate: ready at stop, ready at start, each
// time waiting for restore-gate; "<host> download" and "<host> place"
// in fail make it fail before the stop gate or between the gates.
func (f *fakeExec) gated(ctx context.Context, host string, stderr io.Writer) error {
	dir := "/gates/" + host
	for _, step := range []string{"stop", "start"} {
		failAt := map[string]string{"stop": "download", "start": "place"}[step]
		if code := f.fail[host+" "+failAt]; code != 0 {
			fmt.Fprintf(stderr, "ERROR restore failed at stage %s\n", failAt)
			return &remote.ExitError{Host: host, Code: code}
		}
		if code := f.fail[host+" place, rollback waits for 10.0.0.1"]; code != 0 && step == "start" {
			// As restore-node: the failure reported at once, then the
			// rollback's start waits for the seed, held at its start gate
			// until restore-cluster aborts it.
			fmt.Fprintf(stderr, "medusa-gate: failed %s\n", dir)
			for f.gate("/gates/10.0.0.1") != "abort" {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(time.Millisecond):
				}
			}
			fmt.Fprintf(stderr, "ERROR restore failed at stage place; rolled back\n")
			return &remote.ExitError{Host: host, Code: code}
		}
		fmt.Fprintf(stderr, "medusa-gate: ready %s %s\n", step, dir)
		for {
			f.mu.Lock()
			got := f.gates[dir]
			f.mu.Unlock()
			if got == "abort" {
				fmt.Fprintf(stderr, "ERROR aborted by restore-cluster\n")
				return &remote.ExitError{Host: host, Code: 1}
			}
			if got == step {
				break
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Millisecond):
			}
		}
	}
	return nil
}

func (f *fakeExec) gate(dir string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gates[dir]
}

func (f *fakeExec) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// subCmd is the first argument not a flag or a flag's value.
func subCmd(argv []string) string {
	for i := 1; i < len(argv); i++ {
		if argv[i] == "--fqdn" {
			i++
			continue
		}
		return argv[i]
	}
	return ""
}

type fakeBackups struct {
	nodes    []Node
	finished map[string]int64
}

func (b fakeBackups) ClusterBackup(context.Context, string) ([]Node, map[string]int64, error) {
	return b.nodes, b.finished, nil
}

func restoreDeps(ex *fakeExec, out io.Writer, targets []Node, seeds ...string) RestoreDeps {
	return RestoreDeps{Exec: ex, Backups: fakeBackups{backup3, finishedAll(backup3)}, Out: out, Seeds: seeds,
		Targets: func(context.Context, string) ([]Node, error) { return targets, nil }}
}

func TestRestoreInPlaceOrder(t *testing.T) {
	t.Parallel()
	ex := &fakeExec{}
	var out bytes.Buffer
	res, err := Restore(t.Context(), restoreDeps(ex, &out, backup3, "10.0.0.3"),
		RestoreOptions{Backup: "b1", Parallel: 1, Yes: true, Keyspaces: []string{"ks"}})
	if err != nil {
		t.Fatal(err)
	}
	calls := ex.Calls()
	want := []string{
		"10.0.0.3: medusa --version", "10.0.0.1: medusa --version", "10.0.0.2: medusa --version",
		"10.0.0.3: medusa stop-cassandra --require-drain", "10.0.0.1: medusa stop-cassandra --require-drain",
		"10.0.0.2: medusa stop-cassandra --require-drain",
		"10.0.0.3: medusa --fqdn 10.0.0.3 restore-node --backup-name b1 --in-place --keyspace ks",
		"10.0.0.1: medusa --fqdn 10.0.0.1 restore-node --backup-name b1 --in-place --keyspace ks --seeds 10.0.0.3 --seed-wait 1h0m0s --seed-interval 2s",
		"10.0.0.2: medusa --fqdn 10.0.0.2 restore-node --backup-name b1 --in-place --keyspace ks --seeds 10.0.0.3 --seed-wait 1h0m0s --seed-interval 2s",
	}
	// The checks run in parallel: compare them as a set.
	slices.Sort(calls[:3])
	slices.Sort(want[:3])
	if !slices.Equal(calls, want) {
		t.Errorf("calls:\n  %s\nwant:\n  %s", strings.Join(calls, "\n  "), strings.Join(want, "\n  "))
	}
	if len(res.Nodes) != 3 || res.Plan.Mode != ModeInPlace {
		t.Errorf("result %+v", res)
	}
	if !strings.Contains(out.String(), "[10.0.0.1] restore-node ok") || !strings.Contains(out.String(), "Mode: in-place") {
		t.Errorf("output:\n%s", out.String())
	}
}

// Every host gets its own arguments, whatever the batch (Medusa #803).
func TestRestoreRemoteBatchesOwnArgs(t *testing.T) {
	t.Parallel()
	other := []Node{node("n1", "dc1", "ra", "1"), node("n2", "dc1", "ra", "2"), node("n3", "dc1", "rb", "3")}
	for _, par := range []int{1, 2, 3} {
		ex := &fakeExec{}
		if _, err := Restore(t.Context(), restoreDeps(ex, io.Discard, other, "n1"),
			RestoreOptions{Backup: "b1", Parallel: par, Yes: true, KeepAuth: true, TempDir: "/data/tmp"}); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"n1": "10.0.0.1", "n2": "10.0.0.3", "n3": "10.0.0.2"}
		n := 0
		for _, c := range ex.Calls() {
			host, argv, _ := strings.Cut(c, ": ")
			if !strings.Contains(argv, "restore-node") {
				continue
			}
			n++
			if !strings.Contains(argv, "--fqdn "+want[host]+" ") || !strings.Contains(argv, "--temp-dir /data/tmp --remote --keep-auth") {
				t.Errorf("-pr %d: %s runs %s", par, host, argv)
			}
		}
		if n != 3 {
			t.Errorf("-pr %d: %d restores", par, n)
		}
	}
}

func TestRestoreChecksBeforeAnyChange(t *testing.T) {
	t.Parallel()
	ex := &fakeExec{unreach: map[string]bool{"10.0.0.2": true}, fail: map[string]int{"10.0.0.3 --version": 127}}
	_, err := Restore(t.Context(), restoreDeps(ex, io.Discard, backup3), RestoreOptions{Backup: "b1", Yes: true})
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{"2 of 3 target nodes cannot be used; nothing was changed", "10.0.0.2: 10.0.0.2: ssh: connect",
		"10.0.0.3: medusa is not on the PATH"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
	for _, c := range ex.Calls() {
		if !strings.HasSuffix(c, "--version") {
			t.Errorf("ran %s after a failed check", c)
		}
	}
}

func TestRestoreDryRunChangesNothing(t *testing.T) {
	t.Parallel()
	ex := &fakeExec{}
	var out bytes.Buffer
	res, err := Restore(t.Context(), restoreDeps(ex, &out, backup3, "10.0.0.1"), RestoreOptions{Backup: "b1", DryRun: true})
	if err != nil || !res.DryRun {
		t.Fatal(res, err)
	}
	for _, c := range ex.Calls() {
		if !strings.HasSuffix(c, "--version") {
			t.Errorf("dry run ran %s", c)
		}
	}
	if !strings.Contains(out.String(), "10.0.0.1  ->  10.0.0.1  yes") || !strings.Contains(out.String(), "nothing was changed") {
		t.Errorf("dry run output:\n%s", out.String())
	}
}

func TestRestoreNotConfirmed(t *testing.T) {
	t.Parallel()
	ex := &fakeExec{}
	d := restoreDeps(ex, io.Discard, backup3)
	d.Confirm = func(*Plan) (bool, error) { return false, nil }
	if _, err := Restore(t.Context(), d, RestoreOptions{Backup: "b1"}); !errors.Is(err, ErrNotConfirmed) {
		t.Fatalf("err = %v", err)
	}
	if n := len(ex.Calls()); n != 3 {
		t.Errorf("%d calls, want the 3 checks", n)
	}
}

func TestRestoreStopFailureNamesStoppedNodes(t *testing.T) {
	t.Parallel()
	ex := &fakeExec{fail: map[string]int{"10.0.0.2 stop-cassandra": 1}}
	_, err := Restore(t.Context(), restoreDeps(ex, io.Discard, backup3, "10.0.0.1"), RestoreOptions{Backup: "b1", Yes: true, Parallel: 2})
	var re *RestoreError
	if !errors.As(err, &re) || re.Phase != "stop" {
		t.Fatalf("err = %v", err)
	}
	msg := err.Error()
	for _, w := range []string{"could not be stopped on 1 nodes; nothing was restored", "10.0.0.2: 10.0.0.2: command exited with status 1",
		"last error it printed: ERROR [main] stop-cassandra failed on 10.0.0.2", "Left stopped (with their old data): 10.0.0.1, 10.0.0.3"} {
		if !strings.Contains(msg, w) {
			t.Errorf("error lacks %q:\n%s", w, msg)
		}
	}
	for _, c := range ex.Calls() {
		if strings.Contains(c, "restore-node") {
			t.Errorf("restored after a failed stop: %s", c)
		}
	}
}

func TestRestoreNodeFailuresNamed(t *testing.T) {
	t.Parallel()
	ex := &fakeExec{fail: map[string]int{"10.0.0.2 restore-node": 1, "10.0.0.3 restore-node": 2}}
	_, err := Restore(t.Context(), restoreDeps(ex, io.Discard, backup3, "10.0.0.1"), RestoreOptions{Backup: "b1", Yes: true, Parallel: 2})
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, w := range []string{"2 of 3 nodes failed", "10.0.0.2 (backup of 10.0.0.2): 10.0.0.2: command exited with status 1",
		"10.0.0.3 (backup of 10.0.0.3): 10.0.0.3: command exited with status 2", "still down",
		"10.0.0.2: medusa --fqdn 10.0.0.2 restore-node --backup-name b1 --in-place --seeds 10.0.0.1"} {
		if !strings.Contains(msg, w) {
			t.Errorf("error lacks %q:\n%s", w, msg)
		}
	}
	if strings.Contains(msg, "10.0.0.1 (backup") {
		t.Errorf("the node that succeeded is named:\n%s", msg)
	}
}

// When every seed fails, the non-seeds waiting for a seed are stopped
// instead of waiting for the seed wait to run out.
func TestRestoreAllSeedsFailedCancelsOthers(t *testing.T) {
	t.Parallel()
	ex := &fakeExec{fail: map[string]int{"10.0.0.1 restore-node": 1}, blockNS: make(chan struct{}), seedHost: "10.0.0.1"}
	_, err := Restore(t.Context(), restoreDeps(ex, io.Discard, backup3, "10.0.0.1"), RestoreOptions{Backup: "b1", Yes: true, Parallel: 2})
	var re *RestoreError
	if !errors.As(err, &re) || len(re.Failed) != 3 {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "10.0.0.2 (backup of 10.0.0.2): context canceled") {
		t.Errorf("error:\n%v", err)
	}
}

func TestRestoreLoader(t *testing.T) {
	t.Parallel()
	two := []Node{node("n1", "dc1", "ra", "1"), node("n2", "dc1", "ra", "2")}
	ex := &fakeExec{}
	if _, err := Restore(t.Context(), restoreDeps(ex, io.Discard, two), RestoreOptions{Backup: "b1", Yes: true, Keyspaces: []string{"ks"}}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range ex.Calls() {
		if strings.Contains(c, "restore-node") {
			got = append(got, c)
		}
	}
	want := "n1: medusa --fqdn 10.0.0.2 restore-node --backup-name b1 --use-sstableloader --keyspace ks --schema-only"
	if len(got) != 3 || got[0] != want {
		t.Fatalf("calls %v, want the schema step first: %s", got, want)
	}
	got = got[1:]
	slices.Sort(got)
	loads := []string{
		"n1: medusa --fqdn 10.0.0.2 restore-node --backup-name b1 --use-sstableloader --keyspace ks --skip-schema",
		"n2: medusa --fqdn 10.0.0.1,10.0.0.3 restore-node --backup-name b1 --use-sstableloader --keyspace ks --skip-schema",
	}
	if !slices.Equal(got, loads) {
		t.Errorf("loads %v, want %v", got, loads)
	}
	for _, c := range ex.Calls() {
		if strings.Contains(c, "stop-cassandra") || strings.Contains(c, GateCommand) {
			t.Errorf("loader mode ran %s", c)
		}
	}
	// A failed schema step loads nothing.
	ex = &fakeExec{fail: map[string]int{"n1 restore-node": 1}}
	_, err := Restore(t.Context(), restoreDeps(ex, io.Discard, two), RestoreOptions{Backup: "b1", Yes: true})
	if err == nil || !strings.Contains(err.Error(), "the backup's schema could not be created; no data was loaded") {
		t.Fatalf("err = %v", err)
	}
	if n := len(ex.Calls()); n != 3 {
		t.Errorf("%d calls after a failed schema step, want 2 checks and the schema step", n)
	}
}

// gateCalls returns the restore-gate calls, in order, as "host step".
func gateCalls(ex *fakeExec) []string {
	var out []string
	for _, c := range ex.Calls() {
		host, argv, _ := strings.Cut(c, ": ")
		if f := strings.Fields(argv); len(f) == 4 && f[1] == GateCommand {
			if f[2] != "/gates/"+host {
				panic("gate of another host: " + c)
			}
			out = append(out, host+" "+f[3])
		}
	}
	return out
}

// With every node at once: all download while Cassandra runs, all stop
// together, all start together (seeds first through --seeds).
func TestRestoreGated(t *testing.T) {
	t.Parallel()
	ex := &fakeExec{}
	var out bytes.Buffer
	res, err := Restore(t.Context(), restoreDeps(ex, &out, backup3, "10.0.0.3"), RestoreOptions{Backup: "b1", Yes: true})
	if err != nil {
		t.Fatal(err)
	}
	got := gateCalls(ex)
	if len(got) != 6 {
		t.Fatalf("gate calls %v", got)
	}
	for i, g := range got {
		if want := map[bool]string{true: "stop", false: "start"}[i < 3]; !strings.HasSuffix(g, " "+want) {
			t.Errorf("gate call %d is %q: every stop before any start", i, g)
		}
	}
	for _, c := range ex.Calls() {
		if strings.Contains(c, "stop-cassandra") {
			t.Errorf("gated restore ran %s", c)
		}
		if strings.Contains(c, "restore-node") && !strings.HasSuffix(c, " --gate") {
			t.Errorf("restore-node without --gate: %s", c)
		}
	}
	if len(res.Nodes) != 3 || !strings.Contains(out.String(), "[10.0.0.2] medusa-gate: ready start /gates/10.0.0.2") {
		t.Errorf("result %+v, output:\n%s", res.Nodes, out.String())
	}
}

func TestRestoreGatedFailureBeforeStopChangesNothing(t *testing.T) {
	t.Parallel()
	ex := &fakeExec{fail: map[string]int{"10.0.0.2 download": 1}}
	_, err := Restore(t.Context(), restoreDeps(ex, io.Discard, backup3, "10.0.0.1"), RestoreOptions{Backup: "b1", Yes: true})
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, w := range []string{"1 of 3 nodes failed", "10.0.0.2 (backup of 10.0.0.2): 10.0.0.2: command exited with status 1",
		"last error it printed: ERROR restore failed at stage download",
		"before Cassandra was stopped there, nothing changed: 10.0.0.1, 10.0.0.3",
		"10.0.0.2: medusa --fqdn 10.0.0.2 restore-node --backup-name b1 --in-place --seeds 10.0.0.1 --seed-wait 1h0m0s --seed-interval 2s\n"} {
		if !strings.Contains(msg+"\n", w) {
			t.Errorf("error lacks %q:\n%s", w, msg)
		}
	}
	for _, g := range gateCalls(ex) {
		if !strings.HasSuffix(g, " abort") {
			t.Errorf("gate opened after a failure: %s", g)
		}
	}
}

func TestRestoreGatedFailureBeforeStartRollsBackAll(t *testing.T) {
	t.Parallel()
	ex := &fakeExec{fail: map[string]int{"10.0.0.3 place": 1}}
	_, err := Restore(t.Context(), restoreDeps(ex, io.Discard, backup3, "10.0.0.1"), RestoreOptions{Backup: "b1", Yes: true})
	if err == nil || !strings.Contains(err.Error(), "before starting: rolled back to the data they had before the restore and started again (their own lines say if that failed): 10.0.0.1, 10.0.0.2") {
		t.Fatalf("err = %v", err)
	}
	for _, g := range gateCalls(ex) {
		if strings.HasSuffix(g, " start") {
			t.Errorf("a node was let start after another failed: %s", g)
		}
	}
}

// A node that fails after its stop reports it before its rollback, which
// waits for a seed: the held nodes are aborted at once (without the report
// they would be held until that node ends, and it waits for them).
func TestRestoreGatedFailureAfterStopReleasesTheSeeds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	ex := &fakeExec{fail: map[string]int{"10.0.0.2 place, rollback waits for 10.0.0.1": 1}}
	_, err := Restore(ctx, restoreDeps(ex, io.Discard, backup3, "10.0.0.1"), RestoreOptions{Backup: "b1", Yes: true})
	if ctx.Err() != nil {
		t.Fatalf("the seed was held until the timeout: %v", err)
	}
	if err == nil || !strings.Contains(err.Error(), "1 of 3 nodes failed:\n  10.0.0.2 (backup of 10.0.0.2)") ||
		!strings.Contains(err.Error(), "started again (their own lines say if that failed): 10.0.0.1, 10.0.0.3") {
		t.Fatalf("err = %v", err)
	}
	for _, g := range gateCalls(ex) {
		if strings.HasSuffix(g, " start") {
			t.Errorf("a node was let start after another failed: %s", g)
		}
	}
}

// Without a known seed among the targets, no node waits for another.
func TestRestoreNoSeedStartsAllAtOnce(t *testing.T) {
	t.Parallel()
	ex := &fakeExec{}
	var out bytes.Buffer
	if _, err := Restore(t.Context(), restoreDeps(ex, &out, backup3), RestoreOptions{Backup: "b1", Yes: true}); err != nil {
		t.Fatal(err)
	}
	for _, c := range ex.Calls() {
		if strings.Contains(c, "--seeds") {
			t.Errorf("%s waits for a seed", c)
		}
	}
	if !strings.Contains(out.String(), "every node starts at once") {
		t.Errorf("plan:\n%s", out.String())
	}
}
