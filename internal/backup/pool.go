package backup

import (
	"context"
	"fmt"

	"github.com/medusa-go/medusa/internal/progress"
	"github.com/medusa-go/medusa/internal/storage"
)

// listPool is stage pool: ONE listing of the data objects a file may be
// reused from. A differential backup lists the node's pool P<fqdn>/data/:
// every earlier differential backup of the node, finished or not, can
// provide files. A full backup lists nothing, unless it resumes an
// interrupted run of the same backup: then P<fqdn>/<backup>/data/, what
// that run stored.
func (r *run) listPool(ctx context.Context) error {
	r.pool = map[string]storage.ObjectInfo{}
	r.candidates = candidateIndex{}
	if r.o.Mode != Differential && !r.resuming {
		return nil
	}
	prefix := r.l.DataPrefix(r.o.FQDN, r.dataBackup())
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
	r.candidates = indexCandidates(prefix, r.pool)
	r.d.Logger.Debug("Listed stored data objects", "objects", len(r.pool))
	return nil
}
