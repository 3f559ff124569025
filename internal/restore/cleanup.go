package restore

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/medusa-go/medusa/internal/layout"
)

// cleanup runs once Cassandra is up and the checks passed: what was moved
// aside and the download are removed, the journal last. In a partial
// restore of a node that could not be drained, the commit log moved aside
// may hold the only copy of recent writes to tables that were not
// restored: it is kept.
func (r *run) cleanup(ctx context.Context) {
	r.enterStage(StageCleanup)
	if err := r.j.mark(stateDone); err != nil {
		r.d.Logger.Warn("could not record the end of the restore", "error", err.Error())
	}
	for _, dir := range r.sideDirs() {
		root, ok := r.asides[dir]
		if !ok || dir == r.o.Node.DataDir {
			continue
		}
		if dir == r.o.Node.CommitlogDir && r.partial() && !r.drained && r.o.ManageCassandra {
			r.d.Logger.Warn("Cassandra was not drained: its previous commit log segments are kept in " + root +
				" (they may hold writes of tables that were not restored); remove them once not needed")
			continue
		}
		if un := r.unarchivedAside(root); dir == r.o.Node.CommitlogDir && len(un) > 0 {
			r.d.Logger.Warn(fmt.Sprintf("%d commit log segments of the replaced history are neither archived nor "+
				"spooled (%s): they are kept in %s; archive or remove them once not needed", len(un),
				strings.Join(un, ", "), root))
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
	r.removeDataRoot(ctx)
}

// discard removes the download, the aside directories (empty, or holding
// only what a successful rollback rejected) and the journal.
func (r *run) discard(ctx context.Context) {
	if err := r.finishPITR(ctx); err != nil {
		r.d.Logger.Error("could not reset the commit log archiving settings", "error", err.Error())
	}
	paths := []string{r.staging}
	for _, dir := range r.sideDirs() {
		if root, ok := r.asides[dir]; ok && dir != r.o.Node.DataDir {
			paths = append(paths, root)
		}
	}
	for _, p := range paths {
		if p == "" {
			continue
		}
		if err := r.d.FS.RemoveAll(ctx, p); err != nil {
			r.d.Logger.Warn("could not remove "+p, "error", err.Error())
		}
	}
	r.removeDataRoot(ctx)
}

// removeStaleDownloads removes the download directories that restores
// killed before finishing left in the temporary directory. It runs under
// the temporary directory's restore lock, so none belongs to a live
// restore.
func (r *run) removeStaleDownloads(ctx context.Context) {
	names, err := children(r.o.TempDir, "")
	if err != nil {
		return
	}
	var removed []string
	var bytes int64
	for _, n := range names {
		p := filepath.Join(r.o.TempDir, n)
		if !strings.HasPrefix(n, "medusa-restore-") || p == r.staging {
			continue
		}
		if fi, err := os.Lstat(p); err != nil || !fi.IsDir() {
			continue
		}
		size := treeSize(p)
		if err := r.d.FS.RemoveAll(ctx, p); err != nil {
			r.d.Logger.Warn("could not remove the download of an interrupted restore: remove it by hand",
				"path", p, "error", err.Error())
			continue
		}
		removed, bytes = append(removed, p), bytes+size
	}
	if len(removed) > 0 {
		r.d.Logger.Warn(fmt.Sprintf("Removed %s left in %s by interrupted restores: %s", layout.FormatBytes(bytes),
			r.o.TempDir, strings.Join(removed, ", ")))
	}
}

// treeSize is the total size of the regular files under dir.
func treeSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() {
			if fi, err := e.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
