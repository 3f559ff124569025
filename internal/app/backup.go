package app

import (
	"context"
	"fmt"
	"time"

	"github.com/medusa-go/medusa/internal/backup"
	"github.com/medusa-go/medusa/internal/progress"
)

// Backup backs up the local node. o carries the command's choices (name,
// mode, stagger, --enable-md5-checks, snapshot handling, lock directory);
// the node's identity and limits come from the configuration. Storage is
// opened first, so a storage problem fails before Cassandra is looked at.
func (a *App) Backup(ctx context.Context, o backup.Options, rep progress.Reporter) (*backup.Result, error) {
	cfg := a.Config
	o.FQDN, o.Prefix = cfg.Storage.FQDN, cfg.Storage.Prefix
	o.MD5Checks = o.MD5Checks || cfg.Checks.EnableMD5Checks
	o.MD5Concurrency = cfg.Checks.MD5CheckConcurrency
	o.Concurrency = cfg.Storage.ConcurrentTransfers
	o.CQLRetry = time.Duration(cfg.Cassandra.CQLRetrySeconds) * time.Second
	o.UploadMaxAge = uploadMaxAge(cfg.Storage.AbortIncompleteUploadsAfterHours)

	b, err := a.Storage(ctx)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	if err := a.refusePlainOnEncrypted(ctx, b); err != nil {
		return nil, err
	}
	if err := RecoverRestore(ctx, cfg, a.Logger, ""); err != nil {
		return nil, err
	}
	cass, err := OpenCassandra(ctx, cfg, a.Logger)
	if err != nil {
		return nil, err
	}
	defer cass.Close()
	snap, err := Snapshotter(cfg)
	if err != nil {
		return nil, err
	}
	// The backup retries whole CQL requests (7 times, 10 s to 2 min apart,
	// as Medusa); each try connects once.
	cass.CQL.Backoff = cassandraBackoffOnce
	var pitr backup.PITRRecorder
	if cfg.Commitlog.Enabled {
		rec, err := a.backupCommitlogs(ctx, cass)
		if err != nil {
			return nil, err
		}
		pitr = rec
	}
	var beforeManifest func(context.Context) error
	if !cfg.Storage.ClientSideEncryption() {
		// A plain backup that checked the marker just before medusa
		// encrypt-backups wrote it must not finish: the migration would
		// not know it, and its sweep could take the objects it names.
		beforeManifest = func(ctx context.Context) error {
			if err := a.refusePlainOnEncrypted(ctx, b); err != nil {
				return fmt.Errorf("the prefix changed while this plain backup uploaded, and it was left unfinished "+
					"(delete it with delete-backup, then back up again with the key ring): %w", err)
			}
			return nil
		}
	}
	return backup.Run(ctx, backup.Deps{
		BeforeManifest: beforeManifest,
		PITR:           pitr,
		Storage:        b,
		Node:           cass,
		Snapshotter:    snap,
		FindSnapshot:   cass.findSnapshot,
		Logger:         a.Logger,
		Progress:       rep,
	}, o)
}

// backupCommitlogs runs a commit log sync before a backup ([cassandra]
// commitlog_archiving): a failed sync is a warning, the segments stay spooled. It
// returns the recorder of meta/pitr.json.
func (a *App) backupCommitlogs(ctx context.Context, cass *Cassandra) (*pitrRecorder, error) {
	paths, err := a.CommitlogPaths()
	if err != nil {
		return nil, err
	}
	res, err := a.CommitlogSync(ctx, 0)
	if err != nil {
		a.Logger.Warn("Commit log sync before the backup failed; the segments stay spooled for the next sync",
			"error", err)
	} else {
		a.Logger.Info("Commit log segments archived", "uploaded", res.Uploaded, "skipped", res.Skipped,
			"swept", res.Swept)
	}
	return &pitrRecorder{app: a, cass: cass, paths: paths, logger: a.Logger}, nil
}

// findSnapshot lists the snapshot directories of tag as the backup sees them.
func (c *Cassandra) findSnapshot(ctx context.Context, tag string) ([]backup.Table, error) {
	snaps, err := c.FindSnapshot(ctx, tag)
	if err != nil {
		return nil, err
	}
	tables := make([]backup.Table, len(snaps))
	for i, s := range snaps {
		files := make([]backup.File, len(s.Files))
		for j, f := range s.Files {
			files[j] = backup.File{RelPath: f.RelPath, Path: f.Path, Size: f.Size, ModTime: f.ModTime}
		}
		tables[i] = backup.Table{Keyspace: s.Keyspace, TableDir: s.TableDir, Dir: s.Dir, Files: files}
	}
	return tables, nil
}

// uploadMaxAge maps [storage] abort_incomplete_uploads_after_hours to
// backup.Options.UploadMaxAge (0 hours: never abort by age).
func uploadMaxAge(hours int) time.Duration {
	if hours <= 0 {
		return -1
	}
	return time.Duration(hours) * time.Hour
}
