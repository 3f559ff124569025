package cli

import (
	"context"
	"slices"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/commitlog"
	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/layout"
)

// pitrWindows returns the recoverable windows (point-in-time restore) of
// the nodes fqdns that have archived commit logs, and sets them on the
// node entries of shown (for JSON output). Only with [cassandra] commitlog_archiving:
// otherwise it returns nil without a request, and list-backups and status
// print what they always did. all are the cluster backups of the index
// (the possible bases). A pitr.json that cannot be read is logged and
// left out; a listing of archived commit logs that fails is logged and no
// window is shown.
func (r *root) pitrWindows(ctx context.Context, cfg *config.Config, cat *catalog.Catalog,
	all, shown []layout.ClusterBackup, fqdns []string) ([]layout.PITRWindow, error) {
	if !cfg.Commitlog.Enabled || len(fqdns) == 0 {
		return nil, nil
	}
	loaded, err := commitlog.LoadWindows(ctx, cat.Backend, layout.New(cat.Prefix), all, fqdns,
		commitlog.WindowOptions{Concurrency: cat.Concurrency})
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		// The backups are still listed: the window is an addition.
		r.logger.Warn("The point-in-time restore windows cannot be shown: " + err.Error())
		return nil, nil
	}
	out := make([]layout.PITRWindow, 0, len(loaded))
	byNode := map[string]*layout.PITRWindow{}
	for _, w := range loaded {
		for _, u := range w.Unreadable {
			r.logger.Warn("Left out of the point-in-time restore window of " + w.FQDN + ": " + u)
		}
		out = append(out, w.Layout())
	}
	for i := range out {
		byNode[out[i].FQDN] = &out[i]
	}
	for i := range shown {
		for j := range shown[i].Nodes {
			shown[i].Nodes[j].PITR = byNode[shown[i].Nodes[j].FQDN]
		}
	}
	return out, nil
}

// backupFQDNs returns the fqdns of the node backups of backups, sorted.
func backupFQDNs(backups []layout.ClusterBackup) []string {
	var out []string
	for _, cb := range backups {
		for _, n := range cb.Nodes {
			out = append(out, n.FQDN)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
