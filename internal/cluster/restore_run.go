package cluster

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/medusa-go/medusa/internal/remote"
)

// StopCommand is the hidden node-side command that drains and stops the
// local Cassandra node and waits until it is down.
const StopCommand = "stop-cassandra"

// GateCommand is the hidden node-side command that answers a restore-node
// waiting at a gate (restore.OpenGate).
const GateCommand = "restore-gate"

// restoreFiles is the file-copy path (in place or remote). When every
// target can run at once, restoreGated; else (-pr below the node count)
// every target is stopped first, so that no restored node meets a node still running
// the old data; then each target runs restore-node, seeds first. A
// non-seed waits (restore-node --seeds) until a seed answers before it
// starts Cassandra, and every restore-node waits until its node answers
// CQL before it ends. Downloads run meanwhile on every target.
func restoreFiles(ctx context.Context, d RestoreDeps, o RestoreOptions, p *Plan, run *Runner, res *RestoreResult) error {
	if o.Parallel <= 0 || o.Parallel >= len(p.Assignments) {
		return restoreGated(ctx, d, o, p, res)
	}
	var stops []Step
	for _, a := range p.Assignments {
		argv := []string{o.Program, StopCommand}
		if len(o.Keyspaces) > 0 || len(o.Tables) > 0 {
			argv = append(argv, "--require-drain")
		}
		stops = append(stops, Step{Host: a.Target, Cmd: remote.Command{Argv: argv, Sudo: o.Sudo}})
	}
	d.Logger.Info(fmt.Sprintf("Stopping Cassandra on %d nodes", len(stops)))
	res.Stopped = run.RunBatches(ctx, stops, o.Parallel)
	if failed := Failed(res.Stopped); len(failed) > 0 {
		e := &RestoreError{Backup: o.Backup, Phase: "stop"}
		for _, s := range res.Stopped {
			if s.Err != nil {
				e.Failed = append(e.Failed, NodeFailure{Host: s.Host, Err: s.Err, LastError: s.LastError})
			} else {
				e.LeftStopped = append(e.LeftStopped, s.Host)
			}
		}
		return e
	}
	seeds := p.Seeds()
	steps := make([]Step, len(p.Assignments))
	for i, a := range p.Assignments {
		steps[i] = Step{Host: a.Target, Cmd: remote.Command{Argv: restoreArgv(o, p, a, seeds), Sudo: o.Sudo}}
	}
	d.Logger.Info(fmt.Sprintf("Restoring %d nodes, seeds first (%s)", len(steps), strings.Join(seeds, ", ")))
	res.Nodes = runSeedsFirst(ctx, run, p, steps, o.Parallel)
	return nodeFailures(o, p, steps, res.Nodes)
}

// runSeedsFirst runs steps (seeds first, as in p) at most parallel at a
// time. When every seed failed, the non-seeds not finished yet are
// cancelled: they would wait for a seed that never comes.
func runSeedsFirst(ctx context.Context, run *Runner, p *Plan, steps []Step, parallel int) []StepResult {
	if parallel <= 0 || parallel > len(steps) {
		parallel = len(steps)
	}
	nsCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	nSeeds := len(p.Seeds())
	var mu sync.Mutex
	seedsFailed := 0
	res := make([]StepResult, len(steps))
	sem := make(chan struct{}, max(parallel, 1))
	var wg sync.WaitGroup
	for i, s := range steps {
		res[i].Host = s.Host
		seed := p.Assignments[i].Seed
		c := ctx
		if !seed {
			c = nsCtx
		}
		select {
		case sem <- struct{}{}:
		case <-c.Done():
			res[i].Err = fmt.Errorf("not started: %w", context.Cause(c))
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			res[i] = run.Run(c, s)
			if seed && res[i].Err != nil {
				mu.Lock()
				if seedsFailed++; seedsFailed == nSeeds {
					cancel()
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return res
}

// restoreLoader is the sstableloader path: the backup's schema is
// created once, through the first target (restore-node --schema-only:
// what the selection needs and the cluster lacks, nothing dropped), then
// every target streams its sources (--skip-schema); the cluster keeps
// running. Creating tables on several nodes at once could give a table
// two ids, hence the single schema step.
func restoreLoader(ctx context.Context, d RestoreDeps, o RestoreOptions, p *Plan, run *Runner, res *RestoreResult) error {
	first := p.Assignments[0]
	schema := first
	schema.Sources = first.Sources[:1]
	argv := append(restoreArgv(o, p, schema, nil), "--schema-only")
	d.Logger.Info("Creating the backup's schema in the target cluster through " + first.Target)
	sr := run.Run(ctx, Step{Host: first.Target, Cmd: remote.Command{Argv: argv, Sudo: o.Sudo}})
	if sr.Err != nil {
		e := &RestoreError{Backup: o.Backup, Phase: "schema", Mode: p.Mode, Total: 1}
		e.Failed = []NodeFailure{{Host: first.Target, Sources: schema.Sources, Err: sr.Err, LastError: sr.LastError,
			Rerun: remote.Command{Argv: argv, Sudo: o.Sudo}.String()}}
		return e
	}
	steps := make([]Step, len(p.Assignments))
	for i, a := range p.Assignments {
		steps[i] = Step{Host: a.Target, Cmd: remote.Command{Argv: append(restoreArgv(o, p, a, nil), "--skip-schema"), Sudo: o.Sudo}}
	}
	res.Nodes = run.RunBatches(ctx, steps, o.Parallel)
	return nodeFailures(o, p, steps, res.Nodes)
}

// nodeFailures turns failed restore-node steps into a RestoreError.
func nodeFailures(o RestoreOptions, p *Plan, steps []Step, res []StepResult) error {
	e := &RestoreError{Backup: o.Backup, Phase: "restore", Mode: p.Mode, Total: len(steps)}
	for i, s := range res {
		if s.Err == nil {
			continue
		}
		rerun := steps[i].Cmd
		rerun.Argv = slices.DeleteFunc(slices.Clone(rerun.Argv), func(a string) bool { return a == "--gate" })
		e.Failed = append(e.Failed, NodeFailure{Host: s.Host, Sources: p.Assignments[i].Sources,
			Err: s.Err, LastError: s.LastError, Rerun: rerun.String()})
	}
	if len(e.Failed) == 0 {
		return nil
	}
	return e
}

// NodeFailure is one node's failure, with its own error.
type NodeFailure struct {
	Host    string
	Sources []string
	Err     error
	// LastError is the last error line the node printed.
	LastError string
	// Rerun is the command to run on the node to restore it alone.
	Rerun string
	// AbortedAt is the gate (stop or start) where restore-cluster
	// aborted this node because another failed ("" if it failed itself).
	AbortedAt string
}

// RestoreError names every node that failed, each with its own error,
// and the nodes left stopped.
type RestoreError struct {
	Backup string
	// Phase is "stop" (stopping the targets) or "restore".
	Phase  string
	Mode   Mode
	Total  int
	Failed []NodeFailure
	// LeftStopped are nodes stopped by restore-cluster and not started
	// again (stop phase failures).
	LeftStopped []string
	// Gated: the nodes were held at gates (restoreGated), not stopped
	// by restore-cluster.
	Gated bool
}

func (e *RestoreError) Error() string {
	var b strings.Builder
	sort.Slice(e.Failed, func(i, j int) bool { return e.Failed[i].Host < e.Failed[j].Host })
	var own, unchanged, rolledBack []NodeFailure
	for _, f := range e.Failed {
		switch f.AbortedAt {
		case "":
			own = append(own, f)
		case "stop":
			unchanged = append(unchanged, f)
		default:
			rolledBack = append(rolledBack, f)
		}
	}
	switch e.Phase {
	case "stop":
		fmt.Fprintf(&b, "restore-cluster %s: Cassandra could not be stopped on %d nodes; nothing was restored:", e.Backup, len(own))
	case "schema":
		fmt.Fprintf(&b, "restore-cluster %s: the backup's schema could not be created; no data was loaded:", e.Backup)
	default:
		fmt.Fprintf(&b, "restore-cluster %s: %d of %d nodes failed:", e.Backup, len(own), e.Total)
	}
	for _, f := range own {
		fmt.Fprintf(&b, "\n  %s", f.Host)
		if len(f.Sources) > 0 {
			fmt.Fprintf(&b, " (backup of %s)", strings.Join(f.Sources, ","))
		}
		fmt.Fprintf(&b, ": %v", f.Err)
		if f.LastError != "" {
			fmt.Fprintf(&b, "\n    last error it printed: %s", strings.TrimSpace(f.LastError))
		}
	}
	if e.Phase == "stop" {
		if len(e.LeftStopped) > 0 {
			fmt.Fprintf(&b, "\nLeft stopped (with their old data): %s. Start them with their start_cmd, "+
				"or fix the nodes above and run restore-cluster again.", strings.Join(e.LeftStopped, ", "))
		}
		return b.String()
	}
	if len(unchanged) > 0 {
		fmt.Fprintf(&b, "\nStopped by restore-cluster before Cassandra was stopped there, nothing changed: %s", hostsOf(unchanged))
	}
	if len(rolledBack) > 0 {
		fmt.Fprintf(&b, "\nStopped by restore-cluster before starting: rolled back to the data they had before "+
			"the restore and started again (their own lines say if that failed): %s", hostsOf(rolledBack))
	}
	switch {
	case e.Phase == "schema":
		b.WriteString("\nThe cluster kept running. To create the schema by hand, run on the node:")
	case e.Mode == ModeLoader:
		b.WriteString("\nThe cluster kept running; loading again is harmless. To load a node alone, run on it:")
	case e.Gated:
		b.WriteString("\nA node that failed after stopping Cassandra puts its old data back and starts it again " +
			"(its last error line says whether that worked). Check with nodetool status; to restore a node alone, run on it:")
	default:
		b.WriteString("\nrestore-cluster stopped these nodes. Each restore-node puts the old data back and starts " +
			"Cassandra when it fails after its own stop step, but a node that failed before (download, check, " +
			"disk space) or was never started is still down. Check with nodetool status; to restore a node alone, run on it:")
	}
	for _, f := range own {
		fmt.Fprintf(&b, "\n  %s: %s", f.Host, f.Rerun)
	}
	return b.String()
}

func hostsOf(fs []NodeFailure) string {
	hosts := make([]string, len(fs))
	for i, f := range fs {
		hosts[i] = f.Host
	}
	return strings.Join(hosts, ", ")
}
