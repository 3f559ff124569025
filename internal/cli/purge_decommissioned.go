package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/medusa-go/medusa/internal/app"
	"github.com/medusa-go/medusa/internal/purge"
)

// newPurgeDecommissionedCmd is `medusa purge-decommissioned`.
func newPurgeDecommissionedCmd(r *root) *cobra.Command {
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "purge-decommissioned",
		Short: "Delete the backups of nodes that are no longer in the cluster",
		Long: `Find the nodes that have backups in the bucket (under [storage] prefix) and
are not in the cluster: the cluster's nodes of every datacenter are read over
CQL from the local node and named as tokenmap.json names them
([cassandra] resolve_ip_addresses). Every backup of such a node is deleted,
with its index entries and latest-backup markers; its differential pool is
cleaned with the grace period (backup_grace_period_in_days) applied, and its
archived commit logs (<fqdn>/commitlogs/) are deleted.

Top-level names under the prefix that hold no node backup are left alone.
The command refuses to run when this node's fqdn is not among the cluster's
hosts: the node names in the bucket would then not match the cluster's.
--dry-run prints what would be deleted and changes nothing.
Sends medusa-decommissioned-node-backup.purge-error (0 or 1) to [monitoring].

` + exitHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tags := []string{"medusa-decommissioned-node-backup", "purge-error", "PURGE-ERROR"}
			return r.runRetention(cmd, dryRun, tags,
				func(ctx context.Context, e *purge.Executor, a *app.App) (purge.Summary, error) {
					if err := a.RefuseMigrating(ctx, e.Backend); err != nil {
						return purge.Summary{}, err
					}
					live, err := a.LiveHosts(ctx)
					if err != nil {
						return purge.Summary{}, err
					}
					r.logger.Info("Live nodes of the cluster", "hosts", live)
					return e.PurgeDecommissioned(ctx, a.Config.Storage.FQDN, live)
				})
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print what would be deleted, delete nothing")
	return cmd
}
