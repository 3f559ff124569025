package app

import (
	"context"
	"time"

	"github.com/medusa-go/medusa/internal/commitlog"
	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/metrics"
	"github.com/medusa-go/medusa/internal/storage"
)

// recordCommitlogSync writes the Prometheus textfile of a sync of the
// spool (docs/metrics.md) when [monitoring] monitoring_provider =
// prometheus: the backlog left, the counters, and the last write time of
// the newest archived segment (b, rooted at the storage prefix, is listed
// once when the sync uploaded something). A problem is only logged.
func (a *App) recordCommitlogSync(ctx context.Context, paths commitlog.Paths, b storage.Backend,
	res commitlog.SyncResult, err error) {
	mon := a.Config.Monitoring
	if mon.MonitoringProvider != config.MonitoringPrometheus || mon.PrometheusTextfileDir == "" {
		return
	}
	s := metrics.CommitlogSync{Node: a.Config.Storage.FQDN, Ended: time.Now(), Uploaded: res.Uploaded,
		Bytes: res.Bytes, Err: err}
	if bl, berr := commitlog.SpoolBacklog(paths.SpoolDir); berr == nil {
		s.BacklogSegments, s.BacklogBytes, s.BacklogOldest = bl.Segments, bl.Bytes, bl.Oldest
	} else {
		a.Logger.Warn("Could not read the spool for the commit log metrics", "error", berr)
	}
	if b != nil && ctx.Err() == nil && (err == nil || res.Uploaded > 0) {
		s.LastArchived = func() (time.Time, bool, error) {
			ar, err := commitlog.ListArchived(ctx, b, a.Config.Storage.FQDN)
			return ar.NewestMtime, ar.Count > 0, err
		}
	}
	warn, werr := metrics.WriteCommitlog(mon.PrometheusTextfileDir, s)
	if warn != nil {
		a.Logger.Warn("Commit log metrics", "error", warn.Error())
	}
	if werr != nil {
		a.Logger.Warn("Could not write the commit log metrics", "error", werr.Error())
	}
}
