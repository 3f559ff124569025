package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/remote"
)

// bcCatalog is a fake BackupCatalog: finished node backups and manifests.
type bcCatalog struct {
	mu        sync.Mutex
	finished  map[string]bool // host -> finished (absent: no node backup)
	manifests map[string]layout.Manifest
}

func (c *bcCatalog) ClusterBackup(_ context.Context, name string) (layout.ClusterBackup, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.finished) == 0 {
		return layout.ClusterBackup{}, fmt.Errorf("%s: %w", name, layout.ErrBackupNotFound)
	}
	cb := layout.ClusterBackup{Name: name}
	for h, fin := range c.finished {
		n := layout.NodeBackup{Name: name, FQDN: h}
		if fin {
			one := int64(1)
			n.Finished = &one
		}
		cb.Nodes = append(cb.Nodes, n)
	}
	return cb, nil
}

func (c *bcCatalog) Manifest(_ context.Context, _, fqdn string) (layout.Manifest, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.manifests[fqdn]
	if !ok {
		return nil, errors.New("no manifest")
	}
	return m, nil
}

func manifestOf(files int, size int64) layout.Manifest {
	s := layout.Section{Keyspace: "ks", ColumnFamily: "t-1"}
	for i := range files {
		s.Objects = append(s.Objects, layout.Object{Path: fmt.Sprintf("f%d", i), Size: size})
	}
	return layout.Manifest{s}
}

// bcEnv is three nodes a, b, c whose medusa answers node-check correctly
// and succeeds at everything unless fail says otherwise.
type bcEnv struct {
	ex   *recExec
	cat  *bcCatalog
	topo Topology
	out  strings.Builder
	mu   sync.Mutex
	// fail maps "host sub-command" to the output and error of that command.
	fail map[string]struct {
		out string
		err error
	}
}

var bcStorage = NodeInfo{Version: "v1", StorageProvider: "s3", Bucket: "bkt", Prefix: "p"}

func newBCEnv(t *testing.T) *bcEnv {
	e := &bcEnv{ex: newRecExec(), cat: &bcCatalog{finished: map[string]bool{}, manifests: map[string]layout.Manifest{}}}
	e.fail = map[string]struct {
		out string
		err error
	}{}
	var err error
	e.topo, err = NewTopology("a", []Node{
		{Host: "c", IP: "10.0.0.3", DC: "dc1", Rack: "r1", Tokens: []string{"300"}, Up: true},
		{Host: "a", IP: "10.0.0.1", DC: "dc1", Rack: "r1", Tokens: []string{"-100"}, Up: true},
		{Host: "b", IP: "10.0.0.2", DC: "dc1", Rack: "r1", Tokens: []string{"20"}, Up: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.ex.reply = func(host string, argv []string) (string, error) {
		sub := subcommand(argv)
		if f, ok := e.fail[host+" "+sub]; ok {
			return f.out, f.err
		}
		switch sub {
		case NodeCheckCommand:
			info := bcStorage
			info.FQDN = host
			b, _ := json.Marshal(info)
			return string(b) + "\n", nil
		case "backup-node":
			e.cat.mu.Lock()
			e.cat.manifests[host] = manifestOf(len(host)+2, 100)
			e.cat.mu.Unlock()
			return "INFO Backup done\n", nil
		}
		return "", nil
	}
	return e
}

func (e *bcEnv) deps() BackupDeps {
	return BackupDeps{
		Exec:     e.ex,
		Catalog:  e.cat,
		Discover: func(context.Context) (Topology, error) { return e.topo, nil },
		Storage:  bcStorage,
		Out:      &lockedWriter{mu: &e.mu, w: &e.out},
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func callHosts(calls []recCall) []string {
	var out []string
	for _, c := range calls {
		out = append(out, c.Host)
	}
	slices.Sort(out)
	return out
}

// TestBackupClusterCommands: every node gets its own commands, in token
// order, with the backup's flags, no --config-file and --stagger (not
// Python's --in-stagger); figures come from the manifests.
func TestBackupClusterCommands(t *testing.T) {
	e := newBCEnv(t)
	var planned *BackupResult
	d := e.deps()
	d.OnPlan = func(r *BackupResult) {
		planned = r
		if n := len(e.ex.callsOf("backup-node")) + len(e.ex.callsOf(NodeSnapshotCommand)); n != 0 {
			t.Errorf("plan announced after %d changing commands", n)
		}
	}
	o := BackupOptions{Name: "b1", Mode: "full", Stagger: 90, MD5Checks: true, KeepSnapshot: true,
		ParallelSnapshots: 500, ParallelUploads: 1, Sudo: true, LogDir: t.TempDir()}
	res, err := BackupCluster(t.Context(), d, o)
	if err != nil {
		t.Fatal(err)
	}
	if planned == nil {
		t.Error("OnPlan not called")
	}
	ups := e.ex.callsOf("backup-node")
	var order []string
	for _, c := range ups {
		order = append(order, c.Host)
		want := []string{"medusa", "backup-node", "--backup-name", "b1", "--mode", "full", "--stagger", "90",
			"--enable-md5-checks", "--keep-snapshot", FailFastIfDownFlag}
		if !slices.Equal(c.Argv, want) || !c.Sudo {
			t.Errorf("%s: argv %q sudo %v, want %q with sudo", c.Host, c.Argv, c.Sudo, want)
		}
	}
	if !slices.Equal(order, []string{"a", "b", "c"}) {
		t.Errorf("backup order %v, want token order a b c", order)
	}
	for _, c := range e.ex.calls {
		if slices.ContainsFunc(c.Argv, func(a string) bool { return strings.Contains(a, "config-file") || a == "--in-stagger" }) {
			t.Errorf("%s: %q sends a local path or an unknown flag", c.Host, c.Argv)
		}
	}
	snaps := e.ex.callsOf(NodeSnapshotCommand)
	if got := callHosts(snaps); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("snapshots on %v", got)
	}
	if snaps[0].Argv[len(snaps[0].Argv)-1] != "b1" {
		t.Errorf("snapshot argv %q", snaps[0].Argv)
	}
	if n := len(e.ex.callsOf(NodeClearSnapshotCommand)); n != 0 {
		t.Errorf("%d clear-snapshot after success", n)
	}
	if e.ex.maxRunning["backup-node"] != 1 {
		t.Errorf("%d backups at once with -pu 1", e.ex.maxRunning["backup-node"])
	}
	for _, n := range res.Nodes {
		if n.Status != StatusOK || n.Files != int64(len(n.Host)+2) || n.Bytes != 100*n.Files {
			t.Errorf("outcome %+v", n)
		}
	}
	if !strings.Contains(e.out.String(), "[b] INFO Backup done") {
		t.Errorf("output not prefixed:\n%s", e.out.String())
	}
	var sum strings.Builder
	_ = res.WriteSummary(&sum)
	if !strings.Contains(sum.String(), "3 of 3 nodes backed up, 9 files") {
		t.Errorf("summary:\n%s", sum.String())
	}
	if _, err := os.Stat(filepath.Join(o.LogDir, "b.log")); err != nil {
		t.Errorf("no log of b: %v", err)
	}
}

// TestBackupClusterBatches: -ps and -pu bound the nodes running at once.
func TestBackupClusterBatches(t *testing.T) {
	for _, tt := range []struct{ ps, pu int }{{1, 1}, {2, 3}, {500, 2}} {
		t.Run(fmt.Sprint(tt.ps, tt.pu), func(t *testing.T) {
			e := newBCEnv(t)
			e.ex.gate = func(string, []string) { time.Sleep(20 * time.Millisecond) }
			_, err := BackupCluster(t.Context(), e.deps(), BackupOptions{Name: "b1", ParallelSnapshots: tt.ps, ParallelUploads: tt.pu})
			if err != nil {
				t.Fatal(err)
			}
			if got := e.ex.maxRunning[NodeSnapshotCommand]; got != min(tt.ps, 3) {
				t.Errorf("snapshots at once %d, want %d", got, min(tt.ps, 3))
			}
			if got := e.ex.maxRunning["backup-node"]; got != min(tt.pu, 3) {
				t.Errorf("backups at once %d, want %d", got, min(tt.pu, 3))
			}
		})
	}
}

// TestBackupClusterResume: nodes an earlier run finished are left alone;
// a backup whose nodes all finished is refused before anything runs.
func TestBackupClusterResume(t *testing.T) {
	e := newBCEnv(t)
	e.cat.finished = map[string]bool{"a": true, "c": true, "b": false}
	e.cat.manifests["a"] = manifestOf(5, 10)
	e.cat.manifests["c"] = manifestOf(6, 10)
	res, err := BackupCluster(t.Context(), e.deps(), BackupOptions{Name: "b1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{NodeCheckCommand, NodeSnapshotCommand, "backup-node"} {
		if got := callHosts(e.ex.callsOf(sub)); !slices.Equal(got, []string{"b"}) {
			t.Errorf("%s ran on %v, want only b", sub, got)
		}
	}
	if !slices.Equal(res.Earlier, []string{"a", "c"}) {
		t.Errorf("earlier %v", res.Earlier)
	}
	if n := res.outcome("a"); n.Status != StatusEarlier || n.Files != 5 {
		t.Errorf("a: %+v", n)
	}

	e = newBCEnv(t)
	e.cat.finished = map[string]bool{"a": true, "b": true, "c": true}
	_, err = BackupCluster(t.Context(), e.deps(), BackupOptions{Name: "b1"})
	if !errors.Is(err, ErrBackupComplete) || len(e.ex.calls) != 0 {
		t.Errorf("complete backup: err %v, %d commands", err, len(e.ex.calls))
	}
}

// TestBackupClusterNodeFails: a node whose backup fails does not stop the
// others; the error names it with its own last error line and its log;
// the snapshots are cleared on every node.
func TestBackupClusterNodeFails(t *testing.T) {
	e := newBCEnv(t)
	e.fail["b backup-node"] = struct {
		out string
		err error
	}{"INFO Starting backup\nError: backup stage meta: the node's Cassandra is not running\n", &remote.ExitError{Host: "b", Code: 1}}
	e.fail["c backup-node"] = struct {
		out string
		err error
	}{"", errors.New("c: ssh: connection lost")}
	logs := t.TempDir()
	res, err := BackupCluster(t.Context(), e.deps(), BackupOptions{Name: "b1", ParallelUploads: 1, LogDir: logs})
	var fe *BackupFailedError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v", err)
	}
	msg := err.Error()
	for _, s := range []string{
		"on 2 of 3 nodes",
		"b: Error: backup stage meta: the node's Cassandra is not running (its output: " + filepath.Join(logs, "b.log"),
		"c: ssh: connection lost",
		"cleared on every node",
		"--backup-name b1 again",
	} {
		if !strings.Contains(msg, s) {
			t.Errorf("error lacks %q:\n%s", s, msg)
		}
	}
	if strings.Contains(msg, "\n  a:") {
		t.Errorf("error names a:\n%s", msg)
	}
	if got := callHosts(e.ex.callsOf(NodeClearSnapshotCommand)); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("cleared on %v", got)
	}
	if n := res.outcome("a"); n.Status != StatusOK || n.Files != 3 {
		t.Errorf("a: %+v", n)
	}
	if n := res.outcome("b"); n.Status != StatusFailed {
		t.Errorf("b: %+v", n)
	}
	b, _ := os.ReadFile(filepath.Join(logs, "b.log"))
	if !strings.Contains(string(b), "backup stage meta") || !strings.Contains(string(b), "$ medusa node-snapshot") {
		t.Errorf("b.log:\n%s", b)
	}
	var sum strings.Builder
	_ = res.WriteSummary(&sum)
	if !strings.Contains(sum.String(), "1 of 3 nodes backed up") {
		t.Errorf("summary:\n%s", sum.String())
	}
}

// TestBackupClusterSnapshotFails: no node backup starts, the snapshots
// are cleared on every node; with --keep-snapshot nothing is cleared.
func TestBackupClusterSnapshotFails(t *testing.T) {
	for _, keep := range []bool{false, true} {
		e := newBCEnv(t)
		e.fail["c "+NodeSnapshotCommand] = struct {
			out string
			err error
		}{"Error: take snapshot medusa-b1: nodetool: exit status 2\n", &remote.ExitError{Host: "c", Code: 1}}
		_, err := BackupCluster(t.Context(), e.deps(), BackupOptions{Name: "b1", KeepSnapshot: keep})
		var fe *BackupFailedError
		if !errors.As(err, &fe) || fe.Phase != "snapshot" || len(fe.Failed) != 1 || fe.Failed[0].Host != "c" {
			t.Fatalf("err = %v", err)
		}
		if n := len(e.ex.callsOf("backup-node")); n != 0 {
			t.Errorf("%d backups after a failed snapshot", n)
		}
		want := []string{"a", "b", "c"}
		if keep {
			want = nil
		}
		if got := callHosts(e.ex.callsOf(NodeClearSnapshotCommand)); !slices.Equal(got, want) {
			t.Errorf("keep=%v: cleared on %v", keep, got)
		}
	}
}

// TestBackupClusterDryRun: only node-check runs; the plan names every
// node and command.
func TestBackupClusterDryRun(t *testing.T) {
	e := newBCEnv(t)
	res, err := BackupCluster(t.Context(), e.deps(), BackupOptions{Name: "b1", DryRun: true, ParallelUploads: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range e.ex.calls {
		if subcommand(c.Argv) != NodeCheckCommand {
			t.Errorf("dry run ran %q on %s", c.Argv, c.Host)
		}
	}
	var plan strings.Builder
	_ = res.WritePlan(&plan)
	for _, s := range []string{"3 nodes in 1 datacenter", "[c] medusa backup-node --backup-name b1 --mode differential",
		"2 at a time", "[a] medusa node-snapshot --backup-name b1", "Dry run: nothing was changed."} {
		if !strings.Contains(plan.String(), s) {
			t.Errorf("plan lacks %q:\n%s", s, plan.String())
		}
	}
}

// TestBackupClusterPreflight: a node down, a node naming itself otherwise,
// one writing elsewhere and one without medusa are all named before
// anything runs.
func TestBackupClusterPreflight(t *testing.T) {
	e := newBCEnv(t)
	e.topo.Nodes = append(e.topo.Nodes, Node{Host: "d", IP: "10.0.0.4", DC: "dc1", Tokens: []string{"400"}, Up: false})
	wrong := bcStorage
	wrong.FQDN = "a.example"
	wb, _ := json.Marshal(wrong)
	e.fail["a "+NodeCheckCommand] = struct {
		out string
		err error
	}{string(wb) + "\n", nil}
	other := bcStorage
	other.FQDN, other.Bucket = "b", "elsewhere"
	ob, _ := json.Marshal(other)
	e.fail["b "+NodeCheckCommand] = struct {
		out string
		err error
	}{string(ob) + "\n", nil}
	e.fail["c "+NodeCheckCommand] = struct {
		out string
		err error
	}{"", &remote.ExitError{Host: "c", Code: 127}}
	_, err := BackupCluster(t.Context(), e.deps(), BackupOptions{Name: "b1"})
	var ne *NodesError
	if !errors.As(err, &ne) || len(ne.Problems) != 4 {
		t.Fatalf("err = %v", err)
	}
	msg := err.Error()
	for _, s := range []string{`"a.example"`, `bucket "elsewhere"`, "not found on the node's PATH", "d: Cassandra reports the node down"} {
		if !strings.Contains(msg, s) {
			t.Errorf("error lacks %q:\n%s", s, msg)
		}
	}
	for _, c := range e.ex.calls {
		if subcommand(c.Argv) != NodeCheckCommand {
			t.Errorf("ran %q on %s after a failed check", c.Argv, c.Host)
		}
	}
}

// TestBackupClusterInterrupted: a cancelled run still clears the
// snapshots and says it was interrupted.
func TestBackupClusterInterrupted(t *testing.T) {
	e := newBCEnv(t)
	ctx, cancel := context.WithCancel(t.Context())
	e.ex.gate = func(host string, argv []string) {
		if subcommand(argv) == "backup-node" && host == "a" {
			cancel()
		}
	}
	_, err := BackupCluster(ctx, e.deps(), BackupOptions{Name: "b1", ParallelUploads: 1})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("err = %v", err)
	}
	if got := callHosts(e.ex.callsOf(NodeClearSnapshotCommand)); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("cleared on %v", got)
	}
}

// TestOwnError: the node's last error line wins; else the executor's
// error without the host repeated, a status above 128 read as a signal.
func TestOwnError(t *testing.T) {
	for _, tt := range []struct {
		r    StepResult
		want string
	}{
		{StepResult{Host: "h", Err: &remote.ExitError{Host: "h", Code: 1}, LastError: "Error: boom"}, "Error: boom"},
		{StepResult{Host: "h", Err: &remote.ExitError{Host: "h", Code: 137}}, "command exited with status 137 (the shell's way of saying: killed by signal 9, killed)"},
		{StepResult{Host: "h", Err: errors.New("h: ssh: connection lost")}, "ssh: connection lost"},
	} {
		if got := ownError(tt.r); got != tt.want {
			t.Errorf("ownError = %q, want %q", got, tt.want)
		}
	}
}
