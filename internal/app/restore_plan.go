package app

import (
	"context"

	"github.com/medusa-go/medusa/internal/cluster"
)

// RestorePlan plans a restore-cluster of backup onto the cluster read over
// CQL from seed (restore-cluster's --seed-target; no host list), without
// running or checking anything on the targets: the gRPC server's
// PrepareRestore. allowIncomplete maps the finished node backups of an
// incomplete backup (Medusa does so in Kubernetes mode).
func (a *App) RestorePlan(ctx context.Context, backup, seed string, allowIncomplete bool) (*cluster.Plan, error) {
	cat, err := a.Catalog(ctx)
	if err != nil {
		return nil, err
	}
	defer cat.Backend.Close()
	nodes, finished, err := backupNodes{cat}.ClusterBackup(ctx, backup)
	if err != nil {
		return nil, err
	}
	targets, err := a.Topology(ctx, seed)
	if err != nil {
		return nil, err
	}
	return cluster.BuildPlan(cluster.PlanInput{Backup: backup, BackupNodes: nodes, Finished: finished,
		Targets: targets.Nodes, Seeds: a.localSeeds(ctx), AllowIncomplete: allowIncomplete})
}
