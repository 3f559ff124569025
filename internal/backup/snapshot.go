package backup

import (
	"context"
	"fmt"
	"path"
	"time"
)

// SnapshotTag returns the snapshot tag of backup name: medusa-<name>, or
// the name itself when an existing snapshot is backed up (Medusa's quirk).
func SnapshotTag(name string, useExisting bool) string {
	if useExisting {
		return name
	}
	return "medusa-" + name
}

// Snapshot-side file names that are never uploaded (Cassandra's own
// snapshot manifest and schema).
var neverBackedUp = map[string]bool{"manifest.json": true, "schema.cql": true}

// systemTraces is the keyspace Medusa leaves out of backups.
const systemTraces = "system_traces"

// snapshot is stage snapshot: take snapshot
// medusa-<name> unless it already exists (or back up the existing one),
// then list its table directories. A failing snapshot command fails the
// backup, and so does a snapshot without any table. From here on the
// snapshot is cleared at the end, whatever happens.
func (r *run) snapshot(ctx context.Context) error {
	tag := SnapshotTag(r.o.Name, r.o.UseExistingSnapshot)
	if r.d.PITR != nil {
		r.d.PITR.BeforeSnapshot(ctx)
		defer r.d.PITR.AfterSnapshot(ctx)
	}
	r.res.DataStarted = r.d.Clock.Now()
	r.res.Snapshot = tag
	r.snapshotTag = tag
	tables, err := r.d.FindSnapshot(ctx, tag)
	if err != nil {
		return fmt.Errorf("find snapshot %s: %w", tag, err)
	}
	switch {
	case r.o.UseExistingSnapshot:
		r.d.Logger.Info("Using existing snapshot", "tag", tag)
	case len(tables) > 0:
		r.d.Logger.Info("Snapshot already exists, backing it up", "tag", tag)
	default:
		r.d.Logger.Info("Creating snapshot", "tag", tag)
		if err := r.d.Snapshotter.Create(ctx, tag); err != nil {
			return fmt.Errorf("take snapshot %s: %w", tag, err)
		}
		if tables, err = r.d.FindSnapshot(ctx, tag); err != nil {
			return fmt.Errorf("find snapshot %s: %w", tag, err)
		}
	}
	r.tables = r.tables[:0]
	for _, t := range tables {
		if t.Keyspace == systemTraces {
			continue
		}
		files := make([]File, 0, len(t.Files))
		for _, f := range t.Files {
			if !neverBackedUp[path.Base(f.RelPath)] {
				files = append(files, f)
			}
		}
		t.Files = files
		r.tables = append(r.tables, t)
	}
	if len(r.tables) == 0 {
		return fmt.Errorf("snapshot %s contains no table directory: check [cassandra] config_file "+
			"(data_file_directories) and that nodetool reaches this node", tag)
	}
	return nil
}

// clearSnapshot is stage cleanup: clear the snapshot unless it is
// to be kept, also after a failure or a cancellation (with a context of
// its own). Like Medusa with nodetool, a failure to clear is logged, not
// fatal: the backup itself is complete or has already failed.
func (r *run) clearSnapshot(ctx context.Context) {
	tag := r.snapshotTag
	if tag == "" {
		return
	}
	if r.o.KeepSnapshot {
		r.res.SnapshotKept = true
		r.d.Logger.Info("Keeping snapshot", "tag", tag)
		return
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
	defer cancel()
	if err := r.d.Snapshotter.Clear(cctx, tag); err != nil {
		r.res.SnapshotKept = true
		r.d.Logger.Warn("Could not clear the snapshot; clear it by hand", "stage", string(StageCleanup),
			"tag", tag, "command", "nodetool clearsnapshot -t "+tag, "error", err.Error())
		return
	}
	r.d.Logger.Debug("Snapshot cleared", "tag", tag)
}
