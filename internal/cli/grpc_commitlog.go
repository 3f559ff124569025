package cli

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/medusa-go/medusa/internal/app"
	"github.com/medusa-go/medusa/internal/cassandra"
	"github.com/medusa-go/medusa/internal/commitlog"
	"github.com/medusa-go/medusa/internal/restore"
)

// startCommitlogSync runs commitlogSyncLoop in the background; the
// returned function stops it and waits for it.
func startCommitlogSync(ctx context.Context, a *app.App, logger *slog.Logger) func() {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		commitlogSyncLoop(ctx, a, logger)
	}()
	return func() {
		cancel()
		<-done
	}
}

// commitlogSyncLoop drains the commit log spool every [cassandra]
// commitlog_sync_interval while ctx lasts, when [cassandra]
// commitlog_archiving is set and the interval is not 0: in Kubernetes the medusa sidecar is the only long
// process that can run `commitlog sync`. A failed sync is logged and
// retried at the next tick; a sync already running elsewhere (a backup's,
// a `medusa commitlog sync`) is left alone.
func commitlogSyncLoop(ctx context.Context, a *app.App, logger *slog.Logger) {
	cl := a.Config.Commitlog
	if !cl.Enabled || cl.SyncInterval <= 0 {
		return
	}
	logger.Info("Syncing the commit log spool periodically", "commitlog_sync_interval", cl.SyncInterval.String())
	t := time.NewTicker(cl.SyncInterval)
	defer t.Stop()
	for {
		res, err := a.CommitlogSync(ctx, 0)
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, commitlog.ErrSyncBusy):
			logger.Debug("Commit log sync skipped: another one is running", "error", err)
		case err != nil:
			logger.Error("Commit log sync failed; retrying", "error", err, "in", cl.SyncInterval.String())
		case res.Uploaded > 0:
			logger.Info("Commit log sync", "uploaded", res.Uploaded, "skipped", res.Skipped, "swept", res.Swept,
				"bytes", res.Bytes)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// pendingReplayEvery is how often the sidecar checks whether Cassandra
// answers CQL while a point-in-time replay is pending.
const pendingReplayEvery = 5 * time.Second

// startPendingReplay runs pendingReplayLoop in the background; the
// returned function stops it and waits for it.
func startPendingReplay(ctx context.Context, a *app.App, logger *slog.Logger) func() {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		pendingReplayLoop(ctx, a, logger, pendingReplayEvery)
	}()
	return func() {
		cancel()
		<-done
	}
}

// pendingReplayLoop ends a point-in-time restore the init container left
// for Cassandra's start (restore.PendingReplay): as soon as Cassandra
// answers CQL it has replayed (the init container ran before it, in this
// pod), and the restore settings must go before anything restarts it —
// Cassandra would replay the segments again, and filter its own commit
// log by the restore time, dropping the writes made since. Without a
// pending replay when the server starts, nothing is done.
func pendingReplayLoop(ctx context.Context, a *app.App, logger *slog.Logger, every time.Duration) {
	paths, err := a.CommitlogPaths()
	if err != nil {
		logger.Debug("No pending point-in-time replay looked for", "error", err)
		return
	}
	p, err := restore.ReadPendingReplay(paths.RestoreDir)
	if err != nil {
		logger.Error("Pending point-in-time replay", "error", err)
		return
	}
	if p == nil {
		return
	}
	logger.Info("A point-in-time restore waits for Cassandra's replay: its settings are reset once Cassandra "+
		"answers CQL", "file", p.Path(), "base_backup", p.Base)
	cass, err := app.OpenCassandra(ctx, a.Config, logger)
	if err != nil {
		logger.Error("Pending point-in-time replay: cannot reach Cassandra", "error", err)
		return
	}
	defer cass.Close()
	cql := cass.CQL
	cql.Backoff = cassandra.Backoff{Attempts: 1, DownGrace: -1}
	for {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		s, err := cassandra.Connect(cctx, cql)
		cancel()
		if err == nil {
			s.Close()
			out, err := restore.FinishReplay(paths.RestoreDir, logger)
			switch {
			case out == restore.ReplayNotApplied:
				logger.Error("Pending point-in-time replay", "error", err)
				return
			case err != nil:
				logger.Error("Cassandra replayed, but the point-in-time restore settings could not be reset; retrying",
					"error", err)
			default:
				return
			}
		} else {
			logger.Debug("Cassandra does not answer CQL yet", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}
