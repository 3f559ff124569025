package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/medusa-go/medusa/internal/backup"
	"github.com/medusa-go/medusa/internal/crypt"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/progress"
	"github.com/medusa-go/medusa/internal/storage"
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
	var checkPrefix func(context.Context, string) error
	if !cfg.Storage.ClientSideEncryption() {
		checkPrefix = a.plainBackupCheck(b)
	}
	return backup.Run(ctx, backup.Deps{
		CheckPrefix:  checkPrefix,
		PITR:         pitr,
		Storage:      b,
		Node:         cass,
		Snapshotter:  snap,
		FindSnapshot: cass.findSnapshot,
		Logger:       a.Logger,
		Progress:     rep,
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

// plainBackupCheck is backup.Deps.CheckPrefix of a plain backup: it reads
// the prefix's encryption marker again once the backup's meta files are
// written and before its manifest. A plain backup that read no marker at
// its start must not go on once medusa encrypt-backups has written one: the
// migration lists the prefix after writing its marker, so it either sees
// this backup (unfinished: it stops) or this backup sees the marker here,
// before it uploads data or finishes. Credentials that may not read the
// marker are warned about once; the backup goes on.
func (a *App) plainBackupCheck(b storage.Backend) func(context.Context, string) error {
	prefix := layout.New(a.Config.Storage.Prefix).KeyPrefix()
	warned := false
	return func(ctx context.Context, backup string) error {
		m, err := crypt.ReadMarker(ctx, b, prefix)
		switch {
		case errors.Is(err, storage.ErrNotExist):
			return nil
		case errors.Is(err, storage.ErrAccessDenied):
			if !warned {
				a.Logger.Warn("Cannot read the encryption marker (access denied): this backup would not notice a "+
					"medusa encrypt-backups begun on the prefix meanwhile; grant s3:GetObject on it",
					"marker", crypt.MarkerKey(prefix))
				warned = true
			}
			return nil
		case err != nil:
			return fmt.Errorf("read the encryption marker again: %w", err)
		}
		what := "is encrypted"
		if m.Migrating {
			what = "is being encrypted by medusa encrypt-backups"
		}
		return fmt.Errorf("plain backup %s of node %s stopped, unfinished: prefix %q %s since it began (marker %s). "+
			"Let encrypt-backups finish; if it then names this backup as unfinished, delete it (medusa delete-backup "+
			"--backup-name %s, without encryption_key_file) and run encrypt-backups again. Back up with the key ring "+
			"(encryption_key_file) from now on", backup, a.Config.Storage.FQDN, prefix, what, crypt.MarkerKey(prefix), backup)
	}
}
