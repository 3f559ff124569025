package restore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// asideName is the directory, inside each directory the restore changes
// (data, commit log, saved caches), where the node's files are moved
// aside: on the same file system, so moving is a rename.
func (r *run) asideName() string { return asidePrefix + r.o.ID }

// asidePrefix starts the name of every aside directory.
const asidePrefix = ".medusa-aside-"

// prepare checks, before anything is downloaded, that the restore can
// complete: free space, rights on the directories it will change; then it
// creates the download directory, the journal and the aside directories.
func (r *run) prepare(ctx context.Context) error {
	r.removeStaleDownloads(ctx)
	if r.pitr != nil {
		if err := r.preparePITR(); err != nil {
			return err
		}
	}
	needs, err := spaceNeeds(r.d.Space, r.p.Bytes, r.o.TempDir, r.o.Node.DataDir)
	if err != nil {
		return err
	}
	for _, n := range needs {
		r.d.Logger.Debug("free space", "check", n.String())
	}
	if err := checkSpace(needs); err != nil {
		return err
	}
	fi, err := os.Stat(r.o.Node.DataDir)
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		r.uid, r.gid = int(st.Uid), int(st.Gid)
	}
	if r.d.FS.NeedsAccessCheck() {
		if err := r.checkAccess(); err != nil {
			return err
		}
	}
	if err := r.startJournal(ctx); err != nil {
		return err
	}
	return os.MkdirAll(r.staging, 0o755)
}

// checkAccess verifies that this process may rename what the restore
// moves: the data directory, the keyspace and table directories replaced,
// the commit log and saved caches directories, and cassandra.yaml for a
// remote restore. All problems are reported at once.
func (r *run) checkAccess() error {
	paths := []string{r.o.Node.DataDir}
	for _, dir := range r.sideDirs() {
		if exists(dir) {
			paths = append(paths, dir)
		}
	}
	for _, t := range r.p.Tables {
		if t.Action != Keep && t.Exists {
			paths = append(paths, filepath.Dir(t.Dest), t.Dest)
		}
	}
	if !r.o.InPlace {
		paths = append(paths, r.o.Node.ConfigFile)
	}
	var errs []error
	seen := map[string]bool{}
	for _, p := range paths {
		if seen[p] {
			continue
		}
		seen[p] = true
		if err := syscall.Access(p, 2 /* W_OK */); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("this user may not change what the restore must change (run as the data directory's owner "+
			"or set [storage] use_sudo_for_restore = True):\n%w", errors.Join(errs...))
	}
	return nil
}
