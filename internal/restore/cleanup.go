package restore

import (
	"context"
	"os"
)

// cleanup runs once Cassandra is up and the checks passed: what was moved
// aside and the download are removed. In a partial restore of a node that
// could not be drained, the commit log moved aside may hold the only copy
// of recent writes to tables that were not restored: it is kept.
func (r *run) cleanup(ctx context.Context) {
	for _, dir := range []string{r.o.Node.DataDir, r.o.Node.CommitlogDir, r.o.Node.SavedCachesDir} {
		root, ok := r.asides[dir]
		if !ok {
			continue
		}
		if dir == r.o.Node.CommitlogDir && r.partial() && !r.drained && r.o.ManageCassandra {
			r.d.Logger.Warn("Cassandra was not drained: its previous commit log segments are kept in " + root +
				" (they may hold writes of tables that were not restored); remove them once not needed")
			continue
		}
		if err := r.d.FS.RemoveAll(ctx, root); err != nil {
			r.d.Logger.Error("could not remove the moved-aside files: remove them by hand", "path", root, "error", err.Error())
		}
		delete(r.asides, dir)
	}
	if err := os.RemoveAll(r.staging); err != nil {
		r.d.Logger.Warn("could not remove the download directory", "path", r.staging, "error", err.Error())
	}
	r.removeJournal()
}
