package backup

import (
	"context"
	"errors"
	"fmt"

	"github.com/medusa-go/medusa/internal/storage"
)

// checkExists is stage check-exists: a node backup exists iff its
// meta/schema.cql does. A complete one (meta/manifest.json stored) is
// refused; an incomplete one is the trace of an interrupted run, which
// this run resumes (see resume.go). With UseExistingSnapshot an existing
// backup is backed up into again (Medusa allows that, to back up a
// snapshot taken beforehand), and the snapshot must exist.
func (r *run) checkExists(ctx context.Context) error {
	key := r.l.SchemaKey(r.o.FQDN, r.o.Name)
	info, err := r.d.Storage.Stat(ctx, key)
	switch {
	case errors.Is(err, storage.ErrNotExist):
	case err != nil:
		return fmt.Errorf("check whether backup %s exists: %w", r.o.Name, err)
	case r.o.UseExistingSnapshot:
		r.d.Logger.Warn("Backup already exists; backing up the existing snapshot into it again",
			"name", r.o.Name, "key", key)
	default:
		if err := r.resumable(ctx, info); err != nil {
			return err
		}
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
