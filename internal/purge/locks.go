package purge

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/medusa-go/medusa/internal/storage"
)

// LockedBackup is a node backup that was selected for deletion but kept
// because some of its objects are under Object Lock retention.
type LockedBackup struct {
	Decision
	// Until is the latest retention date among the backup's objects: the
	// first moment a purge can delete it.
	Until time.Time
}

// lockedUntil returns the latest retention date of the objects of b that
// were written last, and so are retained longest: the index finish and
// manifest entries, meta/manifest.json and meta/schema.cql, and the
// newest of its other objects and index entries (each object's retention
// runs from its upload). A backup whose newest objects are free has no
// locked object left, so it can be deleted in the usual crash-safe order
// without a refusal half-way.
func (e *Executor) lockedUntil(ctx context.Context, idx Index, b *nodeBackup) (time.Time, error) {
	keys := append([]string(nil), b.finishKeys...)
	for _, o := range []*storage.ObjectInfo{b.manifest, b.schema} {
		if o != nil {
			keys = append(keys, o.Key)
		}
	}
	var newest *storage.ObjectInfo
	for i := range b.objects {
		if newest == nil || b.objects[i].ModTime.After(newest.ModTime) {
			newest = &b.objects[i]
		}
	}
	if newest != nil {
		keys = append(keys, newest.Key)
	}
	newestIndex := ""
	for _, k := range b.indexKeys {
		if newestIndex == "" || idx.Info[k].ModTime.After(idx.Info[newestIndex].ModTime) {
			newestIndex = k
		}
	}
	if newestIndex != "" {
		keys = append(keys, newestIndex)
	}
	var until time.Time
	for _, k := range keys {
		t, err := e.Locks.RetainUntil(ctx, k)
		if errors.Is(err, storage.ErrNotExist) {
			continue
		}
		if err != nil {
			return until, fmt.Errorf("read the object lock retention of backup %s: %w", b.Name, err)
		}
		if t.After(until) {
			until = t
		}
	}
	return until, nil
}

// keepLocked removes from selected the backups still under retention at
// now and returns them; without Locks it does nothing.
func (e *Executor) keepLocked(ctx context.Context, idx Index, node *Node, selected map[string]bool, res *NodeResult, now time.Time) error {
	if e.Locks == nil {
		return nil
	}
	kept := res.Backups[:0]
	for _, r := range res.Backups {
		until, err := e.lockedUntil(ctx, idx, node.backups[r.Backup.Name])
		if err != nil {
			return fmt.Errorf("purge node %s: %w", node.FQDN, err)
		}
		if until.After(now) {
			delete(selected, r.Backup.Name)
			res.Locked = append(res.Locked, LockedBackup{Decision: r.Decision, Until: until})
			e.log().Info(fmt.Sprintf("Keeping backup %s of node %s: its objects are under object lock retention until %s",
				r.Backup.Name, node.FQDN, until.UTC().Format(time.RFC3339)))
			continue
		}
		kept = append(kept, r)
	}
	res.Backups = kept
	return nil
}

// deleteOrphans deletes unreferenced pool objects. When the store refuses
// some for object lock (objects of a backup that never finished, younger
// than the retention), the retention of each is read: the free ones are
// deleted, the locked ones are kept and reported in res.Orphans.Locked.
func (e *Executor) deleteOrphans(ctx context.Context, res *NodeResult, now time.Time) error {
	keys := make([]string, len(res.Orphans.Delete))
	for i, o := range res.Orphans.Delete {
		keys[i] = o.Key
	}
	err := e.deleteKeys(ctx, keys)
	if err == nil || e.Locks == nil || !errors.Is(err, storage.ErrLocked) {
		return err
	}
	var free, locked []storage.ObjectInfo
	for _, o := range res.Orphans.Delete {
		until, err := e.Locks.RetainUntil(ctx, o.Key)
		switch {
		case errors.Is(err, storage.ErrNotExist):
			continue // deleted by the first pass
		case err != nil:
			return err
		case until.After(now):
			locked = append(locked, o)
			if res.Orphans.LockedUntil.IsZero() || until.Before(res.Orphans.LockedUntil) {
				res.Orphans.LockedUntil = until
			}
		default:
			free = append(free, o)
		}
	}
	keys = keys[:0]
	for _, o := range free {
		keys = append(keys, o.Key)
	}
	res.Orphans.Locked = locked
	res.Orphans.Delete = slicesWithout(res.Orphans.Delete, locked)
	return e.deleteKeys(ctx, keys)
}

// slicesWithout returns all without the objects (by key) of drop.
func slicesWithout(all, drop []storage.ObjectInfo) []storage.ObjectInfo {
	gone := map[string]bool{}
	for _, o := range drop {
		gone[o.Key] = true
	}
	out := all[:0:0]
	for _, o := range all {
		if !gone[o.Key] {
			out = append(out, o)
		}
	}
	return out
}

// Locked returns the number of node backups kept for object lock and the
// earliest date one of them is released (zero when none).
func (s Summary) Locked() (n int, earliest time.Time) {
	for _, r := range s.Nodes {
		for _, b := range r.Locked {
			n++
			if earliest.IsZero() || b.Until.Before(earliest) {
				earliest = b.Until
			}
		}
	}
	return n, earliest
}

// LockedObjects returns the number of unreferenced pool objects kept for
// object lock and the earliest date one of them is released.
func (s Summary) LockedObjects() (n int, earliest time.Time) {
	for _, r := range s.Nodes {
		n += len(r.Orphans.Locked)
		if u := r.Orphans.LockedUntil; !u.IsZero() && (earliest.IsZero() || u.Before(earliest)) {
			earliest = u
		}
	}
	return n, earliest
}
