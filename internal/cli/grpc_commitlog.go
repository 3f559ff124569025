package cli

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/medusa-go/medusa/internal/app"
	"github.com/medusa-go/medusa/internal/commitlog"
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
