package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/remote"
)

// The hidden node-side sub-commands of medusa that the cluster commands
// run on every node (each with that node's own medusa.ini).
const (
	// NodeCheckCommand prints the node's NodeInfo as one JSON line.
	NodeCheckCommand = "node-check"
	// NodeSnapshotCommand takes snapshot medusa-<name> unless it exists.
	NodeSnapshotCommand = "node-snapshot"
	// NodeClearSnapshotCommand clears snapshot medusa-<name>.
	NodeClearSnapshotCommand = "node-clear-snapshot"
	// FailFastIfDownFlag makes backup-node fail at once when the node's
	// Cassandra is down, instead of waiting for a restart.
	FailFastIfDownFlag = "--fail-fast-if-down"
)

// NodeInfo is what a node's medusa reports about itself (node-check):
// its release and where its backups go, from its own medusa.ini.
type NodeInfo struct {
	Version         string `json:"version"`
	ConfigFile      string `json:"config_file"`
	FQDN            string `json:"fqdn"`
	StorageProvider string `json:"storage_provider"`
	Bucket          string `json:"bucket_name"`
	Prefix          string `json:"prefix"`
}

// BackupOptions are the choices of one backup-cluster run.
type BackupOptions struct {
	Name      string
	Mode      string // full or differential
	Stagger   int    // seconds (backup-node --stagger); 0: none
	MD5Checks bool
	// KeepSnapshot keeps the snapshots, on success and on failure.
	KeepSnapshot bool
	// UseExistingSnapshot backs up each node's snapshot named Name; no
	// snapshot is taken nor cleared by the orchestrator.
	UseExistingSnapshot bool
	// ParallelSnapshots and ParallelUploads bound the nodes that take a
	// snapshot / run their backup at once (<= 0: all at once).
	ParallelSnapshots int
	ParallelUploads   int
	// DryRun discovers and checks the nodes, prints the plan and changes
	// nothing.
	DryRun bool
	// Sudo runs the node commands through sudo ([cassandra] use_sudo).
	Sudo bool
	// Program is the medusa executable on the nodes (default "medusa",
	// found on the login's PATH).
	Program string
	// Verbosity is passed to the node commands (-v per level).
	Verbosity int
	// LogDir keeps each node's output on this host (see Runner.LogDir).
	LogDir string
}

// BackupCatalog reads the bucket: which node backups of a name exist
// and finished, and a node backup's manifest.
type BackupCatalog interface {
	ClusterBackup(ctx context.Context, name string) (layout.ClusterBackup, error)
	Manifest(ctx context.Context, backup, fqdn string) (layout.Manifest, error)
}

// BackupDeps are the collaborators of BackupCluster.
type BackupDeps struct {
	Exec    remote.Executor
	Catalog BackupCatalog
	// Discover reads the topology (over CQL from the seed).
	Discover func(ctx context.Context) (Topology, error)
	// Storage is where this host reads backups: every node must write to
	// the same provider, bucket and prefix.
	Storage NodeInfo
	// Out receives every node's output, "[host] " in front, and the
	// orchestrator's own progress lines.
	Out io.Writer
	// OnPlan, when set, gets the plan once every node passed the checks,
	// before anything changes (and in a dry run).
	OnPlan func(*BackupResult)
	Logger *slog.Logger
}

// Node outcomes.
const (
	StatusOK      = "ok"
	StatusFailed  = "FAILED"
	StatusEarlier = "done earlier" // finished by an earlier run of the same backup
	StatusPlanned = "planned"      // dry run
	StatusNotRun  = "not run"      // an earlier phase failed
)

// NodeOutcome is what happened on one node.
type NodeOutcome struct {
	Host, DC string
	Status   string
	// Files and Bytes are read from the node backup's manifest in the
	// bucket (finished nodes only; -1 when not read).
	Files int64
	Bytes int64
	// Snapshot and Backup are the durations of the node's two steps.
	Snapshot, Backup time.Duration
	// Err is the node's own reason (its last error line, else the
	// executor's error); Log is where its whole output is kept.
	Err string
	Log string
}

// Phase is one timed part of a run.
type Phase struct {
	Name     string
	Duration time.Duration
}

// BackupResult describes a backup-cluster run (also a failed one).
type BackupResult struct {
	Name     string
	Mode     string
	Topology Topology
	DryRun   bool
	// Earlier are the nodes a previous run of this backup finished:
	// this run resumed the backup and left them alone.
	Earlier []string
	Nodes   []NodeOutcome // topology order
	Phases  []Phase
	Wall    time.Duration
	// Snapshot, Upload and Clear are the commands run on each node (host
	// replaced by the node's own name in the plan).
	Snapshot, Upload, Clear []Step
	ParallelSnapshots       int
	ParallelUploads         int
	LogDir                  string
	// Cleared lists the nodes whose snapshot was cleared after a failure;
	// ClearFailed the ones where that failed.
	Cleared     []string
	ClearFailed []NodeProblem
}

// ErrBackupComplete: a complete cluster backup of that name exists.
var ErrBackupComplete = errors.New("a complete cluster backup of that name exists")

// BackupFailedError is a run in which some nodes failed; it names each
// with its own error and log.
type BackupFailedError struct {
	Name   string
	Phase  string // "snapshot" or "backup"
	Failed []NodeOutcome
	// Total is the number of nodes the run backed up or tried to.
	Total int
	// Cleared says the snapshots were cleared on every node; ClearFailed
	// names those where that failed.
	Cleared     bool
	ClearFailed []NodeProblem
	// Interrupted is set when the run was cancelled.
	Interrupted error
}

func (e *BackupFailedError) Error() string {
	var b strings.Builder
	what := "failed"
	if e.Interrupted != nil {
		what = "was interrupted (" + e.Interrupted.Error() + ")"
	}
	fmt.Fprintf(&b, "backup-cluster %s %s in the %s phase on %d of %d nodes:", e.Name, what, e.Phase, len(e.Failed), e.Total)
	for _, n := range e.Failed {
		fmt.Fprintf(&b, "\n  %s: %s", n.Host, n.Err)
		if n.Log != "" {
			fmt.Fprintf(&b, " (its output: %s)", n.Log)
		}
	}
	switch {
	case len(e.ClearFailed) > 0:
		b.WriteString("\nthe snapshots could not be cleared on:")
		for _, p := range e.ClearFailed {
			fmt.Fprintf(&b, "\n  %s: %v (run there: medusa %s --backup-name %s)", p.Host, p.Err, NodeClearSnapshotCommand, e.Name)
		}
	case e.Cleared:
		b.WriteString("\nthe backup's snapshots were cleared on every node")
	}
	fmt.Fprintf(&b, "\nrun the same backup-cluster command with --backup-name %s again to back up only the nodes that did not finish", e.Name)
	return b.String()
}

func (e *BackupFailedError) Unwrap() error { return e.Interrupted }

// withDefaults fills defaults and checks the options.
func (o BackupOptions) withDefaults() (BackupOptions, error) {
	if err := layout.ValidateBackupName(o.Name); err != nil {
		return o, err
	}
	if o.Mode == "" {
		o.Mode = "differential"
	}
	if o.Mode != "full" && o.Mode != "differential" {
		return o, fmt.Errorf("mode %q is not one of full, differential", o.Mode)
	}
	if o.Program == "" {
		o.Program = "medusa"
	}
	return o, nil
}

// base is the medusa command line up to the sub-command.
func (o BackupOptions) base(sub string) []string {
	argv := []string{o.Program}
	if o.Verbosity > 0 {
		argv = append(argv, "-"+strings.Repeat("v", o.Verbosity))
	}
	return append(argv, sub)
}

func (o BackupOptions) cmd(argv []string) remote.Command {
	return remote.Command{Argv: argv, Sudo: o.Sudo}
}

// checkCommand is node-check (no verbosity: its output is parsed).
func (o BackupOptions) checkCommand() remote.Command {
	return o.cmd([]string{o.Program, NodeCheckCommand})
}

// snapshotCommand takes the backup's snapshot on a node.
func (o BackupOptions) snapshotCommand() remote.Command {
	return o.cmd(append(o.base(NodeSnapshotCommand), "--backup-name", o.Name))
}

// clearCommand clears the backup's snapshot on a node.
func (o BackupOptions) clearCommand() remote.Command {
	return o.cmd(append(o.base(NodeClearSnapshotCommand), "--backup-name", o.Name))
}

// uploadCommand is the node backup, with no --config-file: each node
// reads its own medusa.ini.
func (o BackupOptions) uploadCommand() remote.Command {
	argv := append(o.base("backup-node"), "--backup-name", o.Name, "--mode", o.Mode)
	if o.Stagger > 0 {
		argv = append(argv, "--stagger", strconv.Itoa(o.Stagger))
	}
	if o.MD5Checks {
		argv = append(argv, "--enable-md5-checks")
	}
	if o.KeepSnapshot {
		argv = append(argv, "--keep-snapshot")
	}
	if o.UseExistingSnapshot {
		argv = append(argv, "--use-existing-snapshot")
	}
	argv = append(argv, FailFastIfDownFlag)
	return o.cmd(argv)
}

// BackupCluster backs up every node of the cluster: it discovers the
// nodes, checks that every node to back up is up, reachable, runs medusa
// and writes to this host's bucket (all before anything changes), skips
// the nodes an earlier run of the same backup finished, takes the
// snapshots (ParallelSnapshots at a time), runs backup-node on each node
// (ParallelUploads at a time; a failing node does not stop the others)
// and reads each node's figures from its manifest in the bucket. When a
// node fails, the snapshots are cleared on every node (unless kept) and
// the error, a *BackupFailedError, names each failed node. The result is
// returned in every case where the plan was made.
func BackupCluster(ctx context.Context, d BackupDeps, o BackupOptions) (*BackupResult, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Out == nil {
		d.Out = io.Discard
	}
	began := time.Now()
	res := &BackupResult{Name: o.Name, Mode: o.Mode, DryRun: o.DryRun, LogDir: o.LogDir,
		ParallelSnapshots: o.ParallelSnapshots, ParallelUploads: o.ParallelUploads}
	phase := func(name string, since time.Time) time.Time {
		now := time.Now()
		res.Phases = append(res.Phases, Phase{Name: name, Duration: now.Sub(since)})
		return now
	}
	defer func() { res.Wall = time.Since(began) }()

	topo, err := d.Discover(ctx)
	if err != nil {
		return nil, err
	}
	res.Topology = topo
	if len(topo.Nodes) == 0 {
		return nil, errors.New("the seed lists no nodes")
	}
	t := phase("discovery", began)

	// Which nodes an earlier run of this backup finished.
	done := map[string]bool{}
	cb, err := d.Catalog.ClusterBackup(ctx, o.Name)
	switch {
	case errors.Is(err, layout.ErrBackupNotFound):
	case err != nil:
		return nil, fmt.Errorf("look for an earlier cluster backup %s: %w", o.Name, err)
	default:
		for _, n := range cb.Nodes {
			if n.IsFinished() {
				done[n.FQDN] = true
			}
		}
	}
	var todo []Node
	for _, n := range topo.Nodes {
		if done[n.Host] {
			res.Earlier = append(res.Earlier, n.Host)
		} else {
			todo = append(todo, n)
		}
	}
	if len(todo) == 0 {
		return nil, fmt.Errorf("backup %s: %w (every one of its %d nodes finished): choose another --backup-name",
			o.Name, ErrBackupComplete, len(topo.Nodes))
	}
	for _, n := range topo.Nodes {
		out := NodeOutcome{Host: n.Host, DC: n.DC, Status: StatusPlanned, Files: -1, Bytes: -1}
		if done[n.Host] {
			out.Status = StatusEarlier
		}
		res.Nodes = append(res.Nodes, out)
	}
	for _, n := range todo {
		if !o.UseExistingSnapshot {
			res.Snapshot = append(res.Snapshot, Step{Host: n.Host, Cmd: o.snapshotCommand()})
			res.Clear = append(res.Clear, Step{Host: n.Host, Cmd: o.clearCommand()})
		}
		res.Upload = append(res.Upload, Step{Host: n.Host, Cmd: o.uploadCommand()})
	}
	t = phase("catalog", t)

	// Every node to back up: up, reachable, our medusa, same bucket.
	if err := Preflight(ctx, d.Exec, todo, func(ctx context.Context, n Node) error {
		return checkNode(ctx, d, o, n)
	}); err != nil {
		return res, err
	}
	t = phase("checks", t)
	if d.OnPlan != nil {
		d.OnPlan(res)
	}
	if o.DryRun {
		return res, nil
	}
	if len(res.Earlier) > 0 {
		d.Logger.Info("Resuming the cluster backup: nodes finished by an earlier run are left alone",
			"backup", o.Name, "finished", strings.Join(res.Earlier, ","), "to_do", len(todo))
	}
	if o.LogDir != "" {
		if err := os.MkdirAll(o.LogDir, 0o700); err != nil {
			return res, fmt.Errorf("create the directory of the nodes' logs: %w", err)
		}
	}
	runner := &Runner{Exec: d.Exec, Out: d.Out, LogDir: o.LogDir}
	outcome := func(host string) *NodeOutcome {
		for i := range res.Nodes {
			if res.Nodes[i].Host == host {
				return &res.Nodes[i]
			}
		}
		panic("cluster: no outcome for " + host)
	}
	fail := func(phaseName string, failed []StepResult) (*BackupResult, error) {
		e := &BackupFailedError{Name: o.Name, Phase: phaseName, Total: len(todo)}
		if ctx.Err() != nil {
			e.Interrupted = ctx.Err()
		}
		for _, r := range failed {
			n := outcome(r.Host)
			e.Failed = append(e.Failed, *n)
		}
		if phaseName == "snapshot" {
			readFigures(ctx, d, o.Name, res.Nodes) // of the nodes an earlier run finished
		}
		if !o.KeepSnapshot && !o.UseExistingSnapshot {
			res.Cleared, res.ClearFailed = clearSnapshots(ctx, runner, res.Clear, o.ParallelSnapshots)
			e.Cleared, e.ClearFailed = true, res.ClearFailed
		}
		phase("cleanup", t)
		return res, e
	}

	// Snapshot phase.
	if len(res.Snapshot) > 0 {
		d.Logger.Info("Taking the snapshots", "backup", o.Name, "nodes", len(res.Snapshot),
			"at_once", parallelText(o.ParallelSnapshots))
		results := runner.RunBatches(ctx, res.Snapshot, o.ParallelSnapshots)
		t = phase("snapshots", t)
		var failed []StepResult
		for _, r := range results {
			n := outcome(r.Host)
			n.Snapshot, n.Log = r.Duration, r.Log
			if r.Err != nil {
				n.Status, n.Err = StatusFailed, ownError(r)
				failed = append(failed, r)
			}
		}
		if len(failed) > 0 {
			for _, r := range results {
				if n := outcome(r.Host); n.Status == StatusPlanned {
					n.Status = StatusNotRun
				}
			}
			return fail("snapshot", failed)
		}
	}

	// Backup phase.
	d.Logger.Info("Backing up the nodes", "backup", o.Name, "nodes", len(res.Upload),
		"at_once", parallelText(o.ParallelUploads), "mode", o.Mode)
	results := runner.RunBatches(ctx, res.Upload, o.ParallelUploads)
	t = phase("backups", t)
	var failed []StepResult
	for _, r := range results {
		n := outcome(r.Host)
		n.Backup = r.Duration
		if r.Log != "" {
			n.Log = r.Log
		}
		if r.Err != nil {
			n.Status, n.Err = StatusFailed, ownError(r)
			failed = append(failed, r)
		} else {
			n.Status = StatusOK
		}
	}
	readFigures(ctx, d, o.Name, res.Nodes)
	t = phase("summary", t)
	if len(failed) > 0 {
		return fail("backup", failed)
	}
	return res, nil
}

// checkNode runs node-check on n and compares what the node's own
// medusa.ini says with what the cluster backup needs.
func checkNode(ctx context.Context, d BackupDeps, o BackupOptions, n Node) error {
	var stdout, stderr bytes.Buffer
	err := d.Exec.Run(ctx, n.Host, o.checkCommand(), &stdout, &stderr)
	if err != nil {
		detail := lastLine(stderr.String())
		if code, ok := remote.ExitCode(err); ok && code == 127 {
			return fmt.Errorf("%s not found on the node's PATH: install medusa there (the same release as here)", o.Program)
		}
		if strings.Contains(stderr.String(), "unknown command") {
			return fmt.Errorf("%s on the node has no %s command (another program, or an older release): install the "+
				"same medusa release as here", o.Program, NodeCheckCommand)
		}
		if detail != "" {
			return fmt.Errorf("%s %s failed: %s", o.Program, NodeCheckCommand, detail)
		}
		return fmt.Errorf("%s %s failed: %w", o.Program, NodeCheckCommand, err)
	}
	var info NodeInfo
	if err := json.Unmarshal([]byte(lastLine(stdout.String())), &info); err != nil {
		return fmt.Errorf("%s %s printed no node description (%q): install the same medusa release as here",
			o.Program, NodeCheckCommand, lastLine(stdout.String()))
	}
	cfg := info.ConfigFile
	if cfg == "" {
		cfg = "its medusa.ini"
	}
	if info.FQDN != n.Host {
		return fmt.Errorf("%s names the node %q ([storage] fqdn) but the cluster knows it as %q: its backup would "+
			"not count for the cluster backup; set fqdn = %s there (or [cassandra] resolve_ip_addresses alike on "+
			"every host)", cfg, info.FQDN, n.Host, n.Host)
	}
	want := d.Storage
	if info.StorageProvider != want.StorageProvider || info.Bucket != want.Bucket || info.Prefix != want.Prefix {
		return fmt.Errorf("%s writes to %s, but this host reads %s: set the same [storage] storage_provider, "+
			"bucket_name and prefix on every host", cfg, where(info), where(want))
	}
	if info.Version != want.Version && want.Version != "" {
		d.Logger.Warn("The node runs another medusa release", "host", n.Host, "node", info.Version, "here", want.Version)
	}
	return nil
}

func where(i NodeInfo) string {
	s := i.StorageProvider + " bucket " + strconv.Quote(i.Bucket)
	if i.Prefix != "" {
		s += " prefix " + strconv.Quote(i.Prefix)
	}
	return s
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// ownError is the node's own reason: its last error line, else the
// executor's error.
func ownError(r StepResult) string {
	if r.LastError != "" {
		return r.LastError
	}
	msg := strings.TrimPrefix(r.Err.Error(), r.Host+": ")
	if code, ok := remote.ExitCode(r.Err); ok && code > 128 && code < 128+65 {
		msg += fmt.Sprintf(" (the shell's way of saying: killed by signal %d, %v)", code-128, syscall.Signal(code-128))
	}
	return msg
}

// clearSnapshots clears the backup's snapshot on every node, with a
// context of its own so that an interrupted run still cleans up.
func clearSnapshots(ctx context.Context, runner *Runner, steps []Step, parallel int) (cleared []string, failed []NodeProblem) {
	if len(steps) == 0 {
		return nil, nil
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
	defer cancel()
	for _, r := range runner.RunBatches(cctx, steps, parallel) {
		if r.Err != nil {
			failed = append(failed, NodeProblem{Host: r.Host, Err: errors.New(ownError(r))})
		} else {
			cleared = append(cleared, r.Host)
		}
	}
	return cleared, failed
}

// readFigures reads the files and bytes of every finished node backup
// from its manifest in the bucket.
func readFigures(ctx context.Context, d BackupDeps, name string, nodes []NodeOutcome) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range nodes {
		n := &nodes[i]
		if n.Status != StatusOK && n.Status != StatusEarlier {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			m, err := d.Catalog.Manifest(ctx, name, n.Host)
			if err != nil {
				d.Logger.Warn("Cannot read the node backup's manifest for the summary", "host", n.Host, "error", err.Error())
				n.Files, n.Bytes = -1, -1
				return
			}
			size, objects := m.Stats()
			n.Files, n.Bytes = objects, size
		}()
	}
	wg.Wait()
}

func parallelText(p int) string {
	if p <= 0 {
		return "all"
	}
	return strconv.Itoa(p)
}
