package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/medusa-go/medusa/internal/commitlog"
)

// PITROptions ask restore-cluster for a point-in-time restore: every node
// restored in place from the base backup, then replaying its own archived
// commit log up to the same Target (docs/pitr.md).
type PITROptions struct {
	Target time.Time
	// Latest restores to the newest time every node can reach: the
	// earliest of the nodes' newest archived writes.
	Latest bool
	// Skew is passed to each node's restore-node (--pitr-skew; 0: its
	// default).
	Skew time.Duration
}

// PlanNodePITR plans the point-in-time restore of one node without
// changing anything (restore.PlanPITR over the bucket). backup "" lets the
// planner choose the base.
type PlanNodePITR func(ctx context.Context, fqdn, backup string, target time.Time, latest bool,
	skew time.Duration) (commitlog.RestorePlan, error)

// ClusterPITR is the point-in-time part of a restore-cluster.
type ClusterPITR struct {
	// Target is the time every node is restored to.
	Target time.Time
	Latest bool
	// Nodes are the nodes' plans, by host.
	Nodes map[string]commitlog.RestorePlan
}

// pitrBaseForTargets chooses the base backup of restore-cluster --pitr
// without --backup-name: each node of the target cluster is planned, and
// when they disagree the oldest of their bases (by snapshot start) is
// taken, so that every node has it (the per-node planning that follows
// names a node that does not).
func pitrBaseForTargets(ctx context.Context, d RestoreDeps, o RestoreOptions) (string, error) {
	if d.Targets == nil {
		return "", errors.New("restore-cluster --pitr: give --backup-name (the target cluster cannot be read)")
	}
	nodes, err := d.Targets(ctx, o.SeedTarget)
	if err != nil {
		return "", fmt.Errorf("read the target cluster from %s: %w", o.SeedTarget, err)
	}
	hosts := make([]string, len(nodes))
	for i, n := range nodes {
		hosts[i] = n.Host
	}
	plans, err := planNodes(ctx, d, hosts, "", o.PITR.Target, o.PITR.Latest, o.PITR.Skew)
	if err != nil {
		return "", err
	}
	base, started := "", int64(0)
	for _, h := range hosts {
		p := plans[h]
		if base == "" || p.BaseMeta.SnapshotStartedUs < started {
			base, started = p.Base, p.BaseMeta.SnapshotStartedUs
		}
	}
	fmt.Fprintf(d.Out, "Base backup for the point-in-time restore: %s\n", base)
	return base, nil
}

// planClusterPITR plans every node's point-in-time restore before any is
// touched: in place only; with Latest, the target is the earliest of the
// nodes' newest archived writes, so that every node reaches it. A hole or
// a missing base on any node refuses, naming the node. o.PITR gets the
// common target.
func planClusterPITR(ctx context.Context, d RestoreDeps, o *RestoreOptions, p *Plan) (*ClusterPITR, error) {
	if p.Mode != ModeInPlace || o.HostList != "" {
		return nil, fmt.Errorf("restore-cluster --pitr restores every node in place, from its own backup and its "+
			"own archived commit log; the targets here are other nodes (mode %s%s): a commit log replays on the "+
			"node that wrote it only (its tokens, its table ids), so --pitr cannot restore onto another cluster",
			p.Mode, map[bool]string{true: ", --host-list", false: ""}[o.HostList != ""])
	}
	hosts := make([]string, len(p.Assignments))
	for i, a := range p.Assignments {
		hosts[i] = a.Sources[0]
	}
	target, latest := o.PITR.Target, o.PITR.Latest
	if latest {
		plans, err := planNodes(ctx, d, hosts, o.Backup, time.Time{}, true, o.PITR.Skew)
		if err != nil {
			return nil, err
		}
		for i, h := range hosts {
			if w := plans[h].NewestWrite; i == 0 || w.Before(target) {
				target = w
			}
		}
	}
	plans, err := planNodes(ctx, d, hosts, o.Backup, target, false, o.PITR.Skew)
	if err != nil {
		return nil, err
	}
	o.PITR = &PITROptions{Target: target, Skew: o.PITR.Skew}
	cp := &ClusterPITR{Target: target, Latest: latest, Nodes: plans}
	writePITRPlan(d.Out, cp, hosts)
	return cp, nil
}

// planNodes plans hosts in parallel; the error names every node that
// cannot be restored to target, with its own reason.
func planNodes(ctx context.Context, d RestoreDeps, hosts []string, backup string, target time.Time, latest bool,
	skew time.Duration) (map[string]commitlog.RestorePlan, error) {
	if d.PlanPITR == nil {
		return nil, errors.New("restore-cluster --pitr: the bucket's archived commit logs cannot be read here")
	}
	plans := map[string]commitlog.RestorePlan{}
	var bad []string
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, h := range hosts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			pl, err := d.PlanPITR(ctx, h, backup, target, latest, skew)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				bad = append(bad, h+": "+err.Error())
				return
			}
			plans[h] = pl
		}()
	}
	wg.Wait()
	if len(bad) > 0 {
		sort.Strings(bad)
		what := "the newest archived write"
		if !latest {
			what = target.UTC().Format(time.RFC3339Nano)
		}
		return nil, fmt.Errorf("restore-cluster --pitr: %d of %d nodes cannot be restored to %s; no node was "+
			"stopped nor changed:\n  %s", len(bad), len(hosts), what, strings.Join(bad, "\n  "))
	}
	return plans, nil
}

func writePITRPlan(w io.Writer, cp *ClusterPITR, hosts []string) {
	what := ""
	if cp.Latest {
		what = " (the earliest of the nodes' newest archived writes)"
	}
	fmt.Fprintf(w, "Point in time: %s%s; every node replays its own archived commit log up to it\n",
		cp.Target.UTC().Format("2006-01-02T15:04:05.000000Z"), what)
	for _, h := range hosts {
		pl := cp.Nodes[h]
		first, last := "-", "-"
		if n := len(pl.Segments); n > 0 {
			first, last = pl.Segments[0].Name, pl.Segments[n-1].Name
		}
		fmt.Fprintf(w, "  %s: base %s, %d segments (%s to %s, %d bytes)\n", h, pl.Base, len(pl.Segments), first,
			last, pl.RawBytes())
	}
}

// pitrArgv are restore-node's point-in-time flags for the common target.
// --pitr-single-node: restore-cluster restores every node to it.
func pitrArgv(o RestoreOptions) []string {
	if o.PITR == nil {
		return nil
	}
	argv := []string{"--pitr", o.PITR.Target.UTC().Format(time.RFC3339Nano), "--pitr-single-node"}
	if o.PITR.Skew > 0 {
		argv = append(argv, "--pitr-skew", o.PITR.Skew.String())
	}
	return argv
}

// replayedLine is restore-node's summary of a point-in-time restore.
var replayedLine = regexp.MustCompile(`Point-in-time restore to .*, (\d+) mutations replayed`)

// Replayed returns the mutation count the node's restore-node reported
// for its point-in-time restore.
func (s StepResult) Replayed() (int, bool) {
	m := replayedLine.FindStringSubmatch(s.PITRLine)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}
