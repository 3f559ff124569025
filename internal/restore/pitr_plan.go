package restore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/commitlog"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
)

// PlanPITRInput is what PlanPITR reads: the node, the target and the
// bucket.
type PlanPITRInput struct {
	// Storage is the bucket (not rooted at Prefix: Prefix is the [storage]
	// prefix).
	Storage storage.Backend
	Prefix  string
	FQDN    string
	// Backup, when set, is the only backup considered as the base.
	Backup string
	Target time.Time
	Latest bool
	Skew   time.Duration
	// Concurrency bounds the pitr.json reads at once (at least 4).
	Concurrency int
	Logger      *slog.Logger
}

// NodePITRPlan is the point-in-time restore plan of one node.
type NodePITRPlan struct {
	commitlog.RestorePlan
	// Archived are every archived segment of the node.
	Archived []commitlog.SegmentInfo
	// ClusterNodes is the number of nodes of the base's cluster backup
	// (its token map, else its node backups).
	ClusterNodes int
}

// PlanPITR plans the point-in-time restore of one node, changing
// nothing: its backups with their pitr.json, its archived segments and
// its restore markers, then commitlog.Plan. restore-node runs it before
// anything else, restore-cluster for every node before any is stopped.
func PlanPITR(ctx context.Context, in PlanPITRInput) (NodePITRPlan, error) {
	if in.Logger == nil {
		in.Logger = slog.New(slog.DiscardHandler)
	}
	backups, nodes, err := baseCandidates(ctx, in)
	if err != nil {
		return NodePITRPlan{}, err
	}
	under := commitlog.Under(in.Storage, layout.New(in.Prefix).KeyPrefix())
	segs, err := commitlog.List(ctx, under, in.FQDN)
	if err != nil {
		return NodePITRPlan{}, err
	}
	markers, err := commitlog.ListMarkers(ctx, under, in.FQDN)
	if err != nil {
		return NodePITRPlan{}, err
	}
	plan, err := commitlog.Plan(backups, segs, in.Target, commitlog.PlanOptions{Skew: in.Skew, Latest: in.Latest,
		Backup: in.Backup, Restores: markers})
	if err != nil {
		return NodePITRPlan{}, fmt.Errorf("point-in-time restore of %s: %w", in.FQDN, err)
	}
	return NodePITRPlan{RestorePlan: plan, Archived: segs, ClusterNodes: nodes[plan.Base]}, nil
}

// baseCandidates lists the node's backups with their pitr.json, and the
// node count of each backup's cluster.
func baseCandidates(ctx context.Context, in PlanPITRInput) ([]commitlog.BaseBackup, map[string]int, error) {
	cat := &catalog.Catalog{Backend: in.Storage, Prefix: in.Prefix, Logger: in.Logger}
	cbs, err := cat.ClusterBackups(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("list the backups: %w", err)
	}
	var out []commitlog.BaseBackup
	nodes := map[string]int{}
	named := false
	for _, cb := range cbs {
		if n, ok := cb.Node(in.FQDN); ok {
			out = append(out, commitlog.BaseBackup{Name: n.Name, Complete: n.IsFinished()})
			named = named || n.Name == in.Backup
			nodes[n.Name] = len(cb.Nodes)
			if cb.Tokenmap != nil {
				nodes[n.Name] = max(nodes[n.Name], len(cb.Tokenmap.Hosts))
			}
		}
	}
	if in.Backup != "" && !named {
		// A backup the index does not know (never indexed): its meta files.
		n, err := cat.NodeBackup(ctx, in.Backup, in.FQDN)
		if err != nil && !errors.Is(err, layout.ErrBackupNotFound) {
			return nil, nil, err
		}
		if err == nil {
			out = append(out, commitlog.BaseBackup{Name: n.Name, Complete: n.IsFinished()})
		}
	}
	l := layout.New(in.Prefix)
	var mu sync.Mutex
	var firstErr error
	sem := make(chan struct{}, max(in.Concurrency, 4))
	var wg sync.WaitGroup
	for i := range out {
		if !out[i].Complete {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			m, err := commitlog.ReadMeta(ctx, in.Storage, l, in.FQDN, out[i].Name)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, commitlog.ErrNoMeta):
			case err != nil:
				if firstErr == nil {
					firstErr = err
				}
			default:
				out[i].Meta = &m
			}
		}()
	}
	wg.Wait()
	return out, nodes, firstErr
}
