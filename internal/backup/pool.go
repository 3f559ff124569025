package backup

import (
	"context"
	"fmt"

	"github.com/medusa-go/medusa/internal/progress"
	"github.com/medusa-go/medusa/internal/storage"
)

// listPool is stage pool, differential backups only: ONE
// listing of the node's pool P<fqdn>/data/, kept by key. Every earlier
// differential backup of the node, finished or not, can provide files.
func (r *run) listPool(ctx context.Context) error {
	r.pool = map[string]storage.ObjectInfo{}
	if r.o.Mode != Differential {
		return nil
	}
	prefix := r.l.PoolPrefix(r.o.FQDN)
	r.d.Logger.Info("Listing already backed up files for node", "fqdn", r.o.FQDN, "prefix", prefix)
	tr := progress.Start(r.d.Progress, string(StagePool), 0, 0)
	defer tr.Finish()
	for obj, err := range r.d.Storage.List(ctx, prefix) {
		if err != nil {
			return fmt.Errorf("list %s: %w", prefix, err)
		}
		r.pool[obj.Key] = obj
		tr.FileDone()
	}
	r.d.Logger.Debug("Listed differential pool", "objects", len(r.pool))
	return nil
}
