package app

import (
	"context"

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

	b, err := a.Storage(ctx)
	if err != nil {
		return nil, err
	}
	defer b.Close()
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
	return backup.Run(ctx, backup.Deps{
		Storage:      b,
		Node:         cass,
		Snapshotter:  snap,
		FindSnapshot: cass.findSnapshot,
		Logger:       a.Logger,
		Progress:     rep,
	}, o)
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
			files[j] = backup.File{RelPath: f.RelPath, Path: f.Path, Size: f.Size}
		}
		tables[i] = backup.Table{Keyspace: s.Keyspace, TableDir: s.TableDir, Dir: s.Dir, Files: files}
	}
	return tables, nil
}
