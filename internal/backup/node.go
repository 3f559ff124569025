package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
)

// Node is the local Cassandra node as seen over CQL.
type Node interface {
	// SchemaCQL is the schema of every keyspace but system_traces, as
	// Medusa writes it to meta/schema.cql.
	SchemaCQL(ctx context.Context) (string, error)
	// TokenMap is the hosts of the node's datacenter and their tokens.
	TokenMap(ctx context.Context) (layout.Tokenmap, error)
	// ServerVersion is the server type and release version.
	ServerVersion(ctx context.Context) (layout.ServerVersion, error)
}

// DroppedColumner is a Node that can also list the table columns dropped
// so far (system_schema.dropped_columns). When the Node has it, the
// backup stores them as meta/dropped_columns.json (ours, ignored by Python
// Medusa), so that a restore which re-creates a table can replay the drops
// (see cassandra.PlanSchema).
type DroppedColumner interface {
	DroppedColumns(ctx context.Context) ([]layout.DroppedColumn, error)
}

// Snapshotter takes and clears the snapshot of every keyspace of the node
// under a tag (nodetool snapshot -t / clearsnapshot -t, Jolokia or the
// management API; cassandra.Snapshotter has this shape).
type Snapshotter interface {
	Create(ctx context.Context, tag string) error
	Clear(ctx context.Context, tag string) error
}

// FindFunc lists the table directories of snapshot tag
// (<data dir>/<keyspace>/<table dir>/snapshots/<tag>); no directory at all
// means the snapshot does not exist.
type FindFunc func(ctx context.Context, tag string) ([]Table, error)

// Table is one table directory of a snapshot.
type Table struct {
	Keyspace string
	// TableDir is the table directory name, including the table id.
	TableDir string
	// Dir is the snapshot directory on disk.
	Dir   string
	Files []File
}

// File is one file of a table snapshot.
type File struct {
	// RelPath is the '/'-separated path below the snapshot directory:
	// "nb-1-big-Data.db", or ".<index>/nb-1-big-Data.db" for legacy
	// secondary index files.
	RelPath string
	// Path is the file on disk.
	Path string
	Size int64
	// ModTime is the file's modification time; zero: read from Path when
	// the reuse rule needs it.
	ModTime time.Time
}

// FinishedFunc reports whether the node fqdn has a finished backup.
type FinishedFunc func(ctx context.Context, fqdn string) (bool, error)

// LatestFinished answers FinishedFunc from the index's latest-backup
// markers: a node has a finished backup when
// index/latest_backup/<fqdn>/backup_name.txt names a backup whose
// meta/manifest.json exists. The markers are written only after a node
// backup finished, so this is what Medusa's scan of the node's index
// entries finds, in two requests instead of a listing.
func LatestFinished(b storage.Backend, l layout.Layout) FinishedFunc {
	return func(ctx context.Context, fqdn string) (bool, error) {
		rc, _, err := b.Get(ctx, l.LatestBackupNameKey(fqdn), 0, -1)
		if errors.Is(err, storage.ErrNotExist) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("read latest backup of %s: %w", fqdn, err)
		}
		data, err := io.ReadAll(io.LimitReader(rc, 4096))
		rc.Close()
		if err != nil {
			return false, fmt.Errorf("read latest backup of %s: %w", fqdn, err)
		}
		name := layout.ParseBackupNameContent(data)
		if layout.ValidateBackupName(name) != nil {
			return false, nil
		}
		_, err = b.Stat(ctx, l.ManifestKey(fqdn, name))
		if errors.Is(err, storage.ErrNotExist) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("check backup %s of %s: %w", name, fqdn, err)
		}
		return true, nil
	}
}
