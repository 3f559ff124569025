package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/medusa-go/medusa/internal/remote"
)

// RestoreOptions are restore-cluster's choices.
type RestoreOptions struct {
	Backup string
	// SeedTarget is a node of the target cluster, read over CQL to find
	// the targets (the caller defaults it to the local node). HostList,
	// when set, is the --host-list file instead; HostListSeparator its
	// field separator.
	SeedTarget        string
	HostList          string
	HostListSeparator string
	KeepAuth          bool
	Verify            bool
	Keyspaces         []string
	Tables            []string
	UseSSTableLoader  bool
	IgnoreRacks       bool
	AllowIncomplete   bool
	// Parallel bounds the node commands run at once (default: all).
	Parallel int
	// TempDir is each node's download directory ("": the node's own
	// default, $TMPDIR else /tmp, is used: no path of this host is sent).
	TempDir string
	DryRun  bool
	// Yes skips the confirmation (-y).
	Yes bool
	// Program is the medusa binary on the nodes (default "medusa", found
	// on the login's PATH); Sudo runs it through sudo.
	Program string
	Sudo    bool
	// SeedWait is how long a non-seed waits for a seed to come up before
	// it starts (default 1 h), polling every SeedInterval (default 2 s).
	SeedWait     time.Duration
	SeedInterval time.Duration
	// PITR, when set, restores every node in place to a point in time.
	PITR *PITROptions
}

// BackupReader reads what restore-cluster needs of a backup.
type BackupReader interface {
	// ClusterBackup returns the backup's token map nodes and the bytes of
	// every finished node backup.
	ClusterBackup(ctx context.Context, name string) (nodes []Node, finished map[string]int64, err error)
}

// RestoreDeps are restore-cluster's collaborators.
type RestoreDeps struct {
	Exec    remote.Executor
	Backups BackupReader
	// Targets reads the target cluster's nodes over CQL from seedTarget.
	Targets func(ctx context.Context, seedTarget string) ([]Node, error)
	// Seeds are the target cluster's seeds (the local cassandra.yaml).
	Seeds []string
	// Confirm asks the user to go on (nil: yes).
	Confirm func(p *Plan) (bool, error)
	// Out receives the plan and every node's output, "[host] " in front.
	Out    io.Writer
	Logger *slog.Logger
	Now    func() time.Time
	// PlanPITR plans one node's point-in-time restore (needed with
	// RestoreOptions.PITR).
	PlanPITR PlanNodePITR
}

// RestoreResult is a finished (or dry) restore-cluster.
type RestoreResult struct {
	Plan    *Plan
	DryRun  bool
	Stopped []StepResult // stop phase (file modes)
	Nodes   []StepResult // restore-node per target, in plan order
	// PITR is the point-in-time part (nil without RestoreOptions.PITR).
	PITR  *ClusterPITR
	Began time.Time
	Ended time.Time
}

// ErrNotConfirmed is returned when the user answers no.
var ErrNotConfirmed = errors.New("restore-cluster not confirmed: nothing was changed")

// Restore restores a cluster backup onto the target cluster: plan, checks
// (nothing changes before every target answered), then the node commands.
// A dry run prints the plan and runs the checks only.
func Restore(ctx context.Context, d RestoreDeps, o RestoreOptions) (*RestoreResult, error) {
	d.defaults(&o)
	res := &RestoreResult{Began: d.Now(), DryRun: o.DryRun}
	if o.PITR != nil && o.Backup == "" {
		base, err := pitrBaseForTargets(ctx, d, o)
		if err != nil {
			return nil, err
		}
		o.Backup = base
	}
	p, err := buildRestorePlan(ctx, d, o)
	if err != nil {
		return nil, err
	}
	res.Plan = p
	if o.PITR != nil {
		// Every node is planned before any is touched; o.PITR becomes the
		// common target.
		if res.PITR, err = planClusterPITR(ctx, d, &o, p); err != nil {
			return nil, err
		}
	}
	if o.KeepAuth && p.Mode == ModeInPlace {
		d.Logger.Warn("--keep-auth is ignored in place: each node gets back its own system_auth from the backup")
	}
	if err := WritePlan(d.Out, p, o); err != nil {
		return nil, err
	}
	if err := checkTargets(ctx, d, o, p.Targets()); err != nil {
		return nil, err
	}
	if o.DryRun {
		fmt.Fprintf(d.Out, "Dry run: every target answered over SSH and runs %s; nothing was changed\n", o.Program)
		res.Ended = d.Now()
		return res, nil
	}
	if !o.Yes && d.Confirm != nil {
		ok, err := d.Confirm(p)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, ErrNotConfirmed
		}
	}
	run := &Runner{Exec: d.Exec, Out: d.Out}
	if p.Mode == ModeLoader {
		err = restoreLoader(ctx, d, o, p, run, res)
	} else {
		err = restoreFiles(ctx, d, o, p, run, res)
	}
	if err == nil && o.Verify {
		err = verifyUp(ctx, d, o, p)
	}
	res.Ended = d.Now()
	return res, err
}

// verifyUp checks, with --verify, that the target cluster sees every
// target up (each restore-node already waited for its own node and ran
// the [checks] query). With a host list the targets were named by the
// user and may be named otherwise by Cassandra: each restore-node's own
// check stands.
func verifyUp(ctx context.Context, d RestoreDeps, o RestoreOptions, p *Plan) error {
	if o.HostList != "" || d.Targets == nil {
		return nil
	}
	nodes, err := d.Targets(ctx, o.SeedTarget)
	if err != nil {
		return fmt.Errorf("verify: read the cluster from %s: %w", o.SeedTarget, err)
	}
	up := map[string]bool{}
	for _, n := range nodes {
		up[n.Host] = n.Up
	}
	var down []string
	for _, h := range p.Targets() {
		if !up[h] {
			down = append(down, h)
		}
	}
	if len(down) > 0 {
		return fmt.Errorf("verify: the restore finished but the cluster sees %s down", strings.Join(down, ", "))
	}
	fmt.Fprintf(d.Out, "Verified: the cluster sees all %d restored nodes up\n", len(p.Targets()))
	return nil
}

func (d *RestoreDeps) defaults(o *RestoreOptions) {
	if d.Out == nil {
		d.Out = io.Discard
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if o.Program == "" {
		o.Program = "medusa"
	}
	if o.SeedWait <= 0 {
		o.SeedWait = time.Hour
	}
	if o.SeedInterval <= 0 {
		o.SeedInterval = 2 * time.Second
	}
}

// buildRestorePlan reads the backup, the host list or the target cluster,
// and builds the plan.
func buildRestorePlan(ctx context.Context, d RestoreDeps, o RestoreOptions) (*Plan, error) {
	nodes, finished, err := d.Backups.ClusterBackup(ctx, o.Backup)
	if err != nil {
		return nil, err
	}
	in := PlanInput{Backup: o.Backup, BackupNodes: nodes, Finished: finished, Seeds: d.Seeds,
		UseSSTableLoader: o.UseSSTableLoader, IgnoreRacks: o.IgnoreRacks, AllowIncomplete: o.AllowIncomplete}
	if o.HostList != "" {
		f, err := os.Open(o.HostList)
		if err != nil {
			return nil, fmt.Errorf("--host-list: %w", err)
		}
		in.HostList, err = ParseHostList(o.HostList, f, o.HostListSeparator)
		f.Close()
		if err != nil {
			return nil, err
		}
	} else {
		if in.Targets, err = d.Targets(ctx, o.SeedTarget); err != nil {
			return nil, fmt.Errorf("read the target cluster from %s: %w", o.SeedTarget, err)
		}
	}
	return BuildPlan(in)
}

// checkTargets connects to every target and runs `medusa --version`
// there, in parallel, changing nothing; the error names every host that
// failed.
func checkTargets(ctx context.Context, d RestoreDeps, o RestoreOptions, hosts []string) error {
	steps := make([]Step, len(hosts))
	for i, h := range hosts {
		steps[i] = Step{Host: h, Cmd: remote.Command{Argv: []string{o.Program, "--version"}}}
	}
	r := &Runner{Exec: checkExec{d.Exec}, Out: io.Discard}
	res := r.RunBatches(ctx, steps, 0)
	var bad []string
	for _, s := range res {
		if s.Err == nil {
			continue
		}
		why := s.Err.Error()
		if code, ok := remote.ExitCode(s.Err); ok && code == 127 {
			why = fmt.Sprintf("%s is not on the PATH of the SSH login there", o.Program)
		}
		bad = append(bad, fmt.Sprintf("%s: %s", s.Host, why))
	}
	if len(bad) > 0 {
		return fmt.Errorf("restore-cluster %s: %d of %d target nodes cannot be used; nothing was changed:\n  %s",
			o.Backup, len(bad), len(hosts), strings.Join(bad, "\n  "))
	}
	return nil
}

// checkExec runs Check before each command.
type checkExec struct{ remote.Executor }

func (c checkExec) Run(ctx context.Context, host string, cmd remote.Command, stdout, stderr io.Writer) error {
	if err := c.Check(ctx, host); err != nil {
		return err
	}
	return c.Executor.Run(ctx, host, cmd, stdout, stderr)
}

// restoreArgv is the node command restoring a's sources on a.Target.
func restoreArgv(o RestoreOptions, p *Plan, a Assignment, seeds []string) []string {
	argv := []string{o.Program, "--fqdn", strings.Join(a.Sources, ","), "restore-node", "--backup-name", o.Backup}
	if o.TempDir != "" {
		argv = append(argv, "--temp-dir", o.TempDir)
	}
	switch p.Mode {
	case ModeInPlace:
		argv = append(argv, "--in-place")
	case ModeRemote:
		argv = append(argv, "--remote")
	case ModeLoader:
		argv = append(argv, "--use-sstableloader")
	}
	if o.KeepAuth && p.Mode != ModeInPlace {
		argv = append(argv, "--keep-auth")
	}
	if o.Verify {
		argv = append(argv, "--verify")
	}
	argv = append(argv, pitrArgv(o)...)
	for _, k := range o.Keyspaces {
		argv = append(argv, "--keyspace", k)
	}
	for _, t := range o.Tables {
		argv = append(argv, "--table", t)
	}
	if !a.Seed && len(seeds) > 0 && p.Mode != ModeLoader {
		argv = append(argv, "--seeds", strings.Join(seeds, ","),
			"--seed-wait", o.SeedWait.String(), "--seed-interval", o.SeedInterval.String())
	}
	return argv
}
