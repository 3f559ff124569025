package restore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// savedConfigName is cassandra.yaml's previous content, kept beside the
// journal during a remote restore.
const savedConfigName = ".cassandra.yaml"

// startJournal creates the data directory's aside root and, in it, the
// journal (locked while this process runs), then the other aside roots.
// With use_sudo_for_restore the root is given to this process's user so
// that it can write the journal itself.
func (r *run) startJournal(ctx context.Context) error {
	dataRoot := filepath.Join(r.o.Node.DataDir, r.asideName())
	if err := r.d.FS.MkdirAll(ctx, dataRoot); err != nil {
		return fmt.Errorf("create %s: %w", dataRoot, err)
	}
	r.asides[r.o.Node.DataDir] = dataRoot
	if syscall.Access(dataRoot, 2 /* W_OK */) != nil {
		if err := r.d.FS.Chown(ctx, dataRoot, os.Getuid(), os.Getgid()); err != nil {
			return err
		}
	}
	asides := map[string]string{r.o.Node.DataDir: dataRoot}
	for _, dir := range r.sideDirs() {
		if exists(dir) && asides[dir] == "" {
			asides[dir] = filepath.Join(dir, r.asideName())
		}
	}
	h := header{Backup: r.o.Backup, ID: r.o.ID, Started: r.res.Began, PID: os.Getpid(), Staging: r.staging, Node: r.o.Node,
		Asides: asides, ManageCassandra: r.o.ManageCassandra, Keyspaces: r.o.Keyspaces, Tables: r.o.Tables,
		Verify: r.o.Verify, Checks: r.o.Checks, PITR: r.pitrHeader()}
	j, err := createJournal(filepath.Join(dataRoot, journalName), h)
	if err != nil {
		return err
	}
	j.beforeWrite = r.d.beforeJournalWrite
	r.j = j
	for _, dir := range r.sideDirs() {
		root, ok := asides[dir]
		if !ok || r.asides[dir] != "" {
			continue
		}
		if err := r.d.FS.MkdirAll(ctx, root); err != nil {
			return fmt.Errorf("create %s: %w", root, err)
		}
		r.asides[dir] = root
	}
	return nil
}

// placeEntries are the changes placing the tables makes, announced in
// one write: each table directory, then the node's snapshots and backups
// carried into it. Undoing the placement of a table not placed yet finds
// nothing to undo (its place in the data directory is empty until then).
func (r *run) placeEntries(dataAside string) []entry {
	var es []entry
	for _, t := range r.p.restoring() {
		if len(t.Files) == 0 {
			continue
		}
		es = append(es, entry{Kind: entryPlace, From: filepath.Join(r.staging, t.Keyspace, t.Dir), To: t.Dest, Aside: dataAside})
		if !t.Exists {
			continue
		}
		old := filepath.Join(dataAside, t.Keyspace, t.Dir)
		for _, sub := range carried {
			if from := filepath.Join(old, sub); exists(from) {
				es = append(es, entry{Kind: entryCarry, From: from, To: filepath.Join(t.Dest, sub)})
			}
		}
	}
	return es
}

// placeAll places every table, makes the renames durable and records
// that every file is in place: from here a recovery completes the restore.
func (r *run) placeAll(ctx context.Context) error {
	if err := r.place(ctx); err != nil {
		return err
	}
	if err := r.placePITR(ctx); err != nil {
		return err
	}
	dirs := []string{r.o.Node.DataDir}
	seen := map[string]bool{}
	for _, t := range r.p.restoring() {
		for _, d := range []string{filepath.Dir(t.Dest), filepath.Join(r.staging, t.Keyspace)} {
			if !seen[d] {
				seen[d] = true
				dirs = append(dirs, d)
			}
		}
	}
	if err := syncDirs(dirs...); err != nil {
		return err
	}
	return r.j.mark(statePlaced)
}

// removeDataRoot removes the data directory's aside root: its contents,
// then the journal, then the (empty) root, so that a kill in between
// never leaves moved-aside files without their journal.
func (r *run) removeDataRoot(ctx context.Context) {
	root, ok := r.asides[r.o.Node.DataDir]
	if !ok {
		return
	}
	names, err := children(root, "")
	if err != nil {
		r.d.Logger.Warn("could not list "+root, "error", err.Error())
		return
	}
	for _, n := range names {
		if n == journalName {
			continue
		}
		if err := r.d.FS.RemoveAll(ctx, filepath.Join(root, n)); err != nil {
			r.d.Logger.Error("could not remove the moved-aside files: remove them by hand", "path", root, "error", err.Error())
			return
		}
	}
	if r.j != nil {
		if err := removeFile(r.j.Path); err != nil {
			r.d.Logger.Warn("could not remove "+r.j.Path, "error", err.Error())
			return
		}
		r.j.close()
	}
	if err := r.d.FS.RemoveAll(ctx, root); err != nil {
		r.d.Logger.Warn("could not remove "+root, "error", err.Error())
	}
	delete(r.asides, r.o.Node.DataDir)
}

// writeDurably writes data into a new file at path and fsyncs it and its
// directory.
func writeDurably(path string, data []byte) error {
	if err := writeSynced(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return syncDirs(filepath.Dir(path))
}
