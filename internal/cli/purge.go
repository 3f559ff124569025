package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/medusa-go/medusa/internal/app"
	"github.com/medusa-go/medusa/internal/metrics"
	"github.com/medusa-go/medusa/internal/purge"
)

// newPurgeCmd is `medusa purge`.
func newPurgeCmd(r *root) *cobra.Command {
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "purge",
		Short: "Delete this node's backups beyond the retention settings",
		Long: `Apply the retention settings of [storage] to this node's backups:

  max_backup_age = D     delete backups started more than D days ago (0: off)
  max_backup_count = N   keep the N newest complete backups (0: off);
                         incomplete backups never count toward N
  backup_grace_period_in_days = G  (default 10)

An unfinished backup started less than G days ago may still be running and is
never deleted; older unfinished backups are deleted when a retention rule is
set. Then the node's differential pool is cleaned: files no remaining
manifest names are deleted once older than G days (younger ones are kept and
counted), and not at all while a backup of the node may be running. Last,
archived commit log segments no remaining backup needs for a point-in-time
restore are deleted ([cassandra] commitlog_retention_grace; see docs/pitr.md).

Deletions are batched and ordered so that an interrupted purge never leaves a
backup that lists as complete with missing files; running it again finishes
the job. --dry-run prints what would be deleted and changes nothing.
Sends medusa-node-backup.purge-error (0 or 1) to [monitoring].

` + exitHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return r.runRetention(cmd, dryRun, []string{"medusa-node-backup", "purge-error", "PURGE-ERROR"},
				func(ctx context.Context, e *purge.Executor, a *app.App) (purge.Summary, error) {
					if err := a.RefuseMigrating(ctx, e.Backend); err != nil {
						return purge.Summary{}, err
					}
					st := a.Config.Storage
					return e.Purge(ctx, st.FQDN, purge.Policy{MaxAgeDays: st.MaxBackupAge, MaxCount: st.MaxBackupCount})
				})
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print what would be deleted, delete nothing")
	return cmd
}

type retentionFunc func(ctx context.Context, e *purge.Executor, a *app.App) (purge.Summary, error)

// runRetention opens storage, runs fn with an executor, prints the
// summary on stdout and sends the error metric (tags; not in a dry run).
func (r *root) runRetention(cmd *cobra.Command, dryRun bool, tags []string, fn retentionFunc) error {
	a, err := r.open(cmd.Context(), nil)
	if err != nil {
		return err
	}
	cfg := a.Config
	sum, err := retention(cmd.Context(), a, dryRun, fn)
	if err != nil {
		r.logger.Error(fmt.Sprintf("This error happened during the %s: %v", cmd.Name(), err))
	}
	if len(sum.Nodes) > 0 || err == nil {
		if werr := sum.WriteText(cmd.OutOrStdout()); werr != nil && err == nil {
			err = werr
		}
	}
	if !dryRun {
		metrics.SendAll(cfg.Monitoring, r.getenv, r.logger, metrics.Outcome(tags, err))
		objects, bytes := sum.Deleted()
		r.prom.Purge(metrics.PurgeOutcome{Backups: sum.Backups(), Objects: objects, Bytes: bytes, Err: err})
	} else {
		r.skipMetrics()
	}
	return err
}

func retention(ctx context.Context, a *app.App, dryRun bool, fn retentionFunc) (purge.Summary, error) {
	e, err := a.Purger(ctx, dryRun)
	if err != nil {
		return purge.Summary{}, err
	}
	defer e.Backend.Close()
	return fn(ctx, e, a)
}
