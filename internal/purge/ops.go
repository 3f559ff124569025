package purge

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/medusa-go/medusa/internal/layout"
)

// ErrUnsafe is returned (wrapped) when purge-decommissioned refuses to run
// because the cluster's host list cannot be trusted.
var ErrUnsafe = errors.New("refusing to purge")

// Purge is `medusa purge`: the retention policy applied to the backups of
// fqdn (SelectRetention), then the clean-up of its pool.
func (e *Executor) Purge(ctx context.Context, fqdn string, p Policy) (Summary, error) {
	sum := Summary{DryRun: e.DryRun, GraceDays: e.GraceDays}
	e.log().Info("Starting purge")
	idx, err := e.ListIndex(ctx)
	if err != nil {
		return sum, err
	}
	e.log().Info("Listing backups for " + fqdn)
	node, err := e.ListNode(ctx, idx, fqdn)
	if err != nil {
		return sum, err
	}
	p.GraceDays = e.GraceDays
	res, err := e.Execute(ctx, idx, node, SelectRetention(node.Backups(), e.now(), p), false)
	sum.Nodes = append(sum.Nodes, res)
	e.logSummary(sum)
	return sum, err
}

// DeleteBackups is `medusa delete-backup`: the node backups named names,
// of fqdn only or (allNodes) of every node, then the clean-up of each
// touched node's pool (and of fqdn's). Every name must be a backup of some
// node in the index, or of fqdn in storage; otherwise nothing is deleted
// and the error wraps layout.ErrBackupNotFound.
func (e *Executor) DeleteBackups(ctx context.Context, fqdn string, names []string, allNodes bool) (Summary, error) {
	sum := Summary{DryRun: e.DryRun, GraceDays: e.GraceDays}
	idx, err := e.ListIndex(ctx)
	if err != nil {
		return sum, err
	}
	local, err := e.ListNode(ctx, idx, fqdn)
	if err != nil {
		return sum, err
	}
	known := map[string]bool{}
	fqdns := []string{fqdn}
	for _, ent := range idx.Entries {
		if slices.Contains(names, ent.Backup) {
			known[ent.Backup] = true
			if allNodes && !slices.Contains(fqdns, ent.FQDN) {
				fqdns = append(fqdns, ent.FQDN)
			}
		}
	}
	var unknown []string
	for _, name := range names {
		if _, ok := local.backups[name]; !ok && !known[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		return sum, fmt.Errorf("%w: %s (nothing was deleted)", layout.ErrBackupNotFound, strings.Join(unknown, ", "))
	}
	e.log().Info(fmt.Sprintf("Deleting Backup(s) %s...", strings.Join(names, ",")))
	slices.Sort(fqdns[1:])
	for _, f := range fqdns {
		node := local
		if f != fqdn {
			if node, err = e.ListNode(ctx, idx, f); err != nil {
				return sum, err
			}
		}
		res, err := e.Execute(ctx, idx, node, SelectNames(node.Backups(), names), false)
		sum.Nodes = append(sum.Nodes, res)
		if err != nil {
			return sum, err
		}
	}
	e.logSummary(sum)
	return sum, nil
}

// PurgeDecommissioned is `medusa purge-decommissioned`: every node found
// in the bucket (see BucketNodes) that is not one of liveHosts (the hosts
// of every datacenter) loses all its backups, its pool (grace period
// applies) and its latest_backup markers. It refuses to run when
// liveHosts is empty or lacks localFQDN: host names in the bucket would
// then not match the cluster's (resolve_ip_addresses, fqdn), and live
// nodes would look decommissioned.
func (e *Executor) PurgeDecommissioned(ctx context.Context, localFQDN string, liveHosts []string) (Summary, error) {
	sum := Summary{DryRun: e.DryRun, GraceDays: e.GraceDays}
	if len(liveHosts) == 0 {
		return sum, fmt.Errorf("%w: the cluster lists no host", ErrUnsafe)
	}
	if !slices.Contains(liveHosts, localFQDN) {
		return sum, fmt.Errorf("%w: this node's fqdn %q is not among the cluster's hosts %s; the node names "+
			"in the bucket would not match the cluster (check [storage] fqdn and [cassandra] resolve_ip_addresses)",
			ErrUnsafe, localFQDN, strings.Join(liveHosts, ", "))
	}
	e.log().Info("Starting decommissioned purge")
	idx, err := e.ListIndex(ctx)
	if err != nil {
		return sum, err
	}
	nodes, err := e.BucketNodes(ctx, idx, liveHosts)
	if err != nil {
		return sum, err
	}
	for _, f := range Decommissioned(nodes.Names, liveHosts) {
		e.log().Info("Decommissioned node backups to purge: " + f)
		node := buildNode(e.layout(), idx, f, nodes.Objects[f])
		res, err := e.Execute(ctx, idx, node, SelectAll(node.Backups()), true)
		sum.Nodes = append(sum.Nodes, res)
		if err != nil {
			return sum, err
		}
	}
	e.logSummary(sum)
	return sum, nil
}
