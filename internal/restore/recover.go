package restore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrRestoreRunning: a restore of this node is running in another process.
var ErrRestoreRunning = errors.New("a restore of this node is running")

// RecoverOptions describe the local node for Recover.
type RecoverOptions struct {
	Node NodePaths
	// ManageCassandra: medusa may stop and start Cassandra (false in
	// Kubernetes mode).
	ManageCassandra bool
	// Waits are the polling schedules (zero values: the restore's).
	Waits Waits
	// Checks is the [checks] query, run when the interrupted restore had
	// --verify (default: the one it recorded).
	Checks *Checks
}

// Outcome is what Recover did.
type Outcome struct {
	// Done describes each interrupted restore found and what was done.
	Done []string
	// Leftovers are aside directories no journal explains; they are kept
	// (they may hold a node's only copy of some files) and reported with
	// the command that removes them.
	Leftovers []string
}

// Message is one message saying what was done ("" when nothing was).
func (o *Outcome) Message() string {
	var parts []string
	parts = append(parts, o.Done...)
	if len(o.Leftovers) > 0 {
		parts = append(parts, fmt.Sprintf("%d moved-aside directories of earlier restores have no journal and were kept: "+
			"check what they hold, then remove them with: rm -rf %s", len(o.Leftovers), strings.Join(o.Leftovers, " ")))
	}
	return strings.Join(parts, "; ")
}

// orphanAge: an empty aside directory younger than this may belong to a
// restore that is just starting; it is left for a later run.
const orphanAge = time.Minute

// Recover finishes any restore of the local node that was interrupted (a
// killed process, a power loss), from the journal it left in the data
// directory: it completes it when every file was already placed (starts
// Cassandra and, once it is up, removes what was moved aside), otherwise
// rolls it back (stops Cassandra if it runs, undoes every recorded change
// and starts Cassandra again if the restore had stopped it). It also
// removes the empty aside directories and the downloads such restores
// left. Every command that touches the node calls it first. A journal
// locked by a live process is left alone: ErrRestoreRunning.
func Recover(ctx context.Context, d Deps, o RecoverOptions) (*Outcome, error) {
	d.setDefaults()
	o.Waits.setDefaults()
	out := &Outcome{}
	dirs := uniqueDirs(o.Node.DataDir, o.Node.CommitlogDir, o.Node.SavedCachesDir, o.Node.HintsDir)
	claimed := map[string]bool{}
	for _, root := range asideRootsIn(o.Node.DataDir) {
		if err := recoverJournal(ctx, &d, o, root, out, claimed); err != nil {
			return out, err
		}
	}
	for _, dir := range dirs {
		for _, root := range asideRootsIn(dir) {
			if !claimed[root] {
				removeOrReport(ctx, &d, root, out)
			}
		}
	}
	return out, nil
}

// recoverJournal recovers the restore whose journal is in aside root
// root, if there is one, holding its lock meanwhile.
func recoverJournal(ctx context.Context, d *Deps, o RecoverOptions, root string, out *Outcome, claimed map[string]bool) error {
	path := filepath.Join(root, journalName)
	if !exists(path) {
		return nil
	}
	j, err := openJournal(path)
	if errors.Is(err, errJournalLocked) {
		return fmt.Errorf("%w (its journal %s is locked by a running medusa)", ErrRestoreRunning, path)
	}
	if errors.Is(err, errJournalEmpty) {
		// Killed while creating its journal: it had changed nothing.
		return removeFile(path)
	}
	if err != nil {
		return fmt.Errorf("read the journal of an interrupted restore: %w", err)
	}
	defer j.close()
	for _, r := range j.Header.Asides {
		claimed[r] = true
	}
	msg, err := recoverOne(ctx, d, o, j)
	if msg != "" {
		out.Done = append(out.Done, msg)
	}
	return err
}

// recoverOne finishes the restore of journal j; msg says what was done.
func recoverOne(ctx context.Context, d *Deps, o RecoverOptions, j *journal) (msg string, err error) {
	h := j.Header
	ro := &Options{Backup: h.Backup, ID: h.ID, ManageCassandra: h.ManageCassandra && o.ManageCassandra,
		Node: o.Node, Waits: o.Waits, Keyspaces: h.Keyspaces, Tables: h.Tables, Verify: h.Verify, Checks: h.Checks}
	if o.Checks != nil {
		ro.Checks = *o.Checks
	}
	if h.Node.DataDir != "" {
		ro.Node = h.Node // the directories the restore changed, even if the configuration changed since
	}
	ro.PITR = pitrFromHeader(h.PITR, ro.Node.CommitlogDir)
	if ro.ManageCassandra && d.Node == nil {
		return "", fmt.Errorf("an interrupted restore of backup %s needs Cassandra stopped or started: no node to control", h.Backup)
	}
	r := &run{d: d, o: ro, j: j, staging: h.Staging, asides: map[string]string{}, drained: j.has(stateDrained),
		touched: true, res: &Result{}}
	for dir, root := range h.Asides {
		r.asides[dir] = root
	}
	what := fmt.Sprintf("an interrupted restore of backup %s (started %s, process %d)", h.Backup,
		h.Started.UTC().Format(time.RFC3339), h.PID)
	switch {
	case j.has(stateDone):
		r.cleanup(ctx)
		return "finished " + what + ": it had completed; removed what it had moved aside", nil
	case j.has(stateRolledBack):
		r.discard(ctx)
		return "finished " + what + ": it had been rolled back; removed its leftovers", nil
	case !j.has(stateStopping) && len(j.Entries) == 0:
		r.discard(ctx)
		return "cleaned up " + what + ": it stopped before Cassandra was stopped, no file of the node had changed; " +
			"removed its download", nil
	case j.has(statePlaced):
		why := r.complete(ctx)
		if why == nil {
			return "completed " + what + ": every file had been placed; Cassandra runs with the backup's data " +
				"and what was moved aside was removed", nil
		}
		d.Logger.Warn("Recovery: the interrupted restore cannot be completed, rolling back", "error", why.Error())
		what += fmt.Sprintf(" (it could not be completed: %v)", why)
	}
	return r.recoverRollback(ctx, what)
}

// complete starts Cassandra on the placed files and checks it, then
// removes what was moved aside.
func (r *run) complete(ctx context.Context) error {
	if r.o.ManageCassandra && !r.d.Node.Up(ctx) {
		r.d.Logger.Info("Recovery: starting Cassandra on the restored files")
		if err := r.d.Node.Start(ctx); err != nil {
			return err
		}
		if err := r.waitUp(ctx); err != nil {
			return err
		}
	}
	if err := r.finishPITR(ctx); err != nil {
		return err
	}
	if err := r.verify(ctx); err != nil {
		return err
	}
	r.cleanup(ctx)
	return nil
}

// recoverRollback undoes every recorded change and restarts Cassandra.
func (r *run) recoverRollback(ctx context.Context, what string) (string, error) {
	n := 0
	for _, e := range r.j.Entries {
		if !e.Undone {
			n++
		}
	}
	err := r.rollback(ctx)
	var dr *dataRestoredError
	if err != nil && !errors.As(err, &dr) {
		return "", fmt.Errorf("roll back %s: %w; the node's previous files are kept in %s (every change is recorded "+
			"in %s); fix the cause and run the command again, do not start Cassandra before", what, err,
			strings.Join(r.asideRoots(), " and "), r.j.Path)
	}
	r.markRolledBack()
	r.discard(ctx)
	msg := fmt.Sprintf("rolled back %s: undid what it had made of the %d changes it recorded; the node's data is "+
		"as before that restore", what, n)
	if err != nil {
		return msg, fmt.Errorf("%s, but Cassandra does not run: %w", msg, err)
	}
	if r.o.ManageCassandra {
		msg += "; Cassandra runs"
	}
	return msg, nil
}

// removeOrReport removes an aside root no journal explains when it holds
// nothing but empty directories and is not new; otherwise reports it.
func removeOrReport(ctx context.Context, d *Deps, root string, out *Outcome) {
	fi, err := os.Stat(root)
	if err != nil || !fi.IsDir() {
		return
	}
	if treeSize(root) > 0 || hasFiles(root) {
		out.Leftovers = append(out.Leftovers, root)
		return
	}
	if d.Now().Sub(fi.ModTime()) < orphanAge {
		return
	}
	if err := d.FS.RemoveAll(ctx, root); err != nil {
		d.Logger.Warn("could not remove the empty directory "+root, "error", err.Error())
		return
	}
	d.Logger.Info("Removed the empty directory " + root + " left by an earlier restore")
}

// hasFiles reports whether anything but directories is under dir.
func hasFiles(dir string) bool {
	found := false
	_ = filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}

// asideRootsIn lists the .medusa-aside-* directories of dir.
func asideRootsIn(dir string) []string {
	if dir == "" {
		return nil
	}
	names, _ := children(dir, "")
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, asidePrefix) {
			out = append(out, filepath.Join(dir, n))
		}
	}
	return out
}

func uniqueDirs(dirs ...string) []string {
	var out []string
	seen := map[string]bool{}
	for _, d := range dirs {
		if d != "" && !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// Pending reports whether the node's directories hold anything a Recover
// would look at (an aside directory of a restore), cheaply.
func Pending(n NodePaths) bool {
	for _, dir := range uniqueDirs(n.DataDir, n.CommitlogDir, n.SavedCachesDir, n.HintsDir) {
		if len(asideRootsIn(dir)) > 0 {
			return true
		}
	}
	return false
}
