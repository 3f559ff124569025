package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/medusa-go/medusa/internal/app"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/purge"
)

// newDeleteBackupCmd is `medusa delete-backup`.
func newDeleteBackupCmd(r *root) *cobra.Command {
	var (
		names                 []string
		allNodes, currentNode bool
		dryRun                bool
	)
	cmd := &cobra.Command{
		Use:   "delete-backup",
		Short: "Delete backups by name, on this node or on every node",
		Long: `Delete the backups named with --backup-name (repeatable): this node's backups
of those names (--current-node, the default) or every node's (--all-nodes).
Every name must exist, else nothing is deleted. Then the differential pool of
each node touched (and of this node) is cleaned as purge does: files no
remaining manifest names are deleted once older than
backup_grace_period_in_days, and not at all while a backup of the node may be
running; archived commit log segments no remaining backup needs are deleted
as purge does (docs/pitr.md).

Deletions are batched and ordered so that an interrupted run never leaves a
backup that lists as complete with missing files; running it again finishes
the job. --dry-run prints what would be deleted and changes nothing.
Sends medusa-node-backup.delete-error (0 or 1) to [monitoring].

` + exitHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlag(cmd, "backup-name"); err != nil {
				return err
			}
			if allNodes && currentNode {
				return usageError{fmt.Errorf("--all-nodes and --current-node exclude each other")}
			}
			for _, n := range names {
				if err := layout.ValidateBackupName(n); err != nil {
					return usageError{fmt.Errorf("invalid value for --backup-name: %w", err)}
				}
			}
			err := r.runRetention(cmd, dryRun, []string{"medusa-node-backup", "delete-error", "DELETE-ERROR"},
				func(ctx context.Context, e *purge.Executor, a *app.App) (purge.Summary, error) {
					return e.DeleteBackups(ctx, a.Config.Storage.FQDN, names, allNodes)
				})
			if errors.Is(err, layout.ErrBackupNotFound) {
				return fmt.Errorf("no such backup: %w", err)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&names, "backup-name", nil, "name of a backup to delete (required, repeatable)")
	f.BoolVarP(&allNodes, "all-nodes", "a", false, "delete the backups of every node")
	f.BoolVarP(&currentNode, "current-node", "c", false, "delete this node's backups only (the default)")
	f.BoolVar(&dryRun, "dry-run", false, "print what would be deleted, delete nothing")
	return cmd
}
