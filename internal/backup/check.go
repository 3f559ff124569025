package backup

import (
	"context"
	"errors"
	"fmt"

	"github.com/medusa-go/medusa/internal/storage"
)

// checkExists is stage check-exists: a node backup exists
// iff its meta/schema.cql does. An existing backup is refused, unless an
// existing snapshot is backed up (Medusa allows that, to resume a backup
// of a snapshot taken beforehand). With UseExistingSnapshot the snapshot
// must exist.
func (r *run) checkExists(ctx context.Context) error {
	key := r.l.SchemaKey(r.o.FQDN, r.o.Name)
	_, err := r.d.Storage.Stat(ctx, key)
	switch {
	case err == nil && !r.o.UseExistingSnapshot:
		return fmt.Errorf("Backup %s already exists (%s): %w; choose another --backup-name",
			r.o.Name, key, ErrAlreadyExists)
	case err == nil:
		r.d.Logger.Warn("Backup already exists; backing up the existing snapshot into it again",
			"name", r.o.Name, "key", key)
	case !errors.Is(err, storage.ErrNotExist):
		return fmt.Errorf("check whether backup %s exists: %w", r.o.Name, err)
	}
	if !r.o.UseExistingSnapshot {
		return nil
	}
	tables, err := r.d.FindSnapshot(ctx, r.o.Name)
	if err != nil {
		return fmt.Errorf("find snapshot %s: %w", r.o.Name, err)
	}
	if len(tables) == 0 {
		return fmt.Errorf("snapshot %s does not exist and --use-existing-snapshot is set; "+
			"create it first (nodetool snapshot -t %s)", r.o.Name, r.o.Name)
	}
	return nil
}
