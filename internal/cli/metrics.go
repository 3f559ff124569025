package cli

import (
	"context"

	"github.com/medusa-go/medusa/internal/app"
	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/metrics"
	"github.com/medusa-go/medusa/internal/storage"
)

// recordsMetrics says whether command writes a textfile-collector file
// when [monitoring] monitoring_provider = prometheus (docs/metrics.md):
// the commands that act on backups. Listings and the like write none.
func recordsMetrics(command string) bool {
	switch command {
	case "backup", "backup-cluster", "restore-node", "restore-cluster", "purge", "delete-backup",
		"purge-decommissioned", "verify", "report-last-backup", "build-index", "download":
		return true
	}
	return false
}

// startMetrics begins the Prometheus run of the command (once), when cfg
// names the prometheus provider, and makes a count the bytes its storage
// stacks move.
func (r *root) startMetrics(cfg *config.Config, a *app.App) {
	if r.prom == nil && recordsMetrics(r.cmdName) {
		r.prom = metrics.NewRun(cfg.Monitoring, r.cmdName, cfg.Storage.FQDN, r.started)
	}
	if r.prom == nil {
		return
	}
	inner := a.WrapStorage
	a.WrapStorage = func(b storage.Backend) storage.Backend {
		if inner != nil {
			b = inner(b)
		}
		return r.prom.WrapStorage(b)
	}
}

// skipMetrics drops the run's metrics (a dry run changes nothing worth
// recording).
func (r *root) skipMetrics() { r.prom = nil }

// finishMetrics writes the run's textfiles; a failure is only logged.
func (r *root) finishMetrics(err error) {
	if r.prom == nil {
		return
	}
	if werr := r.prom.Finish(err, r.logger); werr != nil {
		r.logger.Warn("Could not write the Prometheus metrics", "error", werr.Error())
	}
}

// checkBackupAge records the age of the node's last complete backup, read
// from cat, for medusa_backup_overdue; a failure is only logged.
func (r *root) checkBackupAge(ctx context.Context, cat *catalog.Catalog) {
	if r.prom == nil || ctx.Err() != nil {
		return
	}
	if err := r.prom.CheckBackupAge(ctx, cat); err != nil {
		r.logger.Warn("Could not read the age of the last complete backup; medusa_backup_overdue is not updated",
			"error", err.Error())
	}
}

// checkBackupAgeOf is checkBackupAge with a catalog opened from a.
func (r *root) checkBackupAgeOf(ctx context.Context, a *app.App) {
	if r.prom == nil || ctx.Err() != nil {
		return
	}
	cat, err := a.Catalog(ctx)
	if err != nil {
		r.logger.Warn("Could not read the age of the last complete backup", "error", err.Error())
		return
	}
	defer cat.Backend.Close()
	r.checkBackupAge(ctx, cat)
}
