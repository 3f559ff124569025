package purge

import (
	"time"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
)

// OrphanPlan is what the clean-up of one node's differential pool does.
type OrphanPlan struct {
	// Delete are the unreferenced objects older than the grace period.
	Delete []storage.ObjectInfo
	// WithinGrace are unreferenced objects younger than the grace period:
	// kept, as they may belong to a backup still uploading (#363).
	WithinGrace []storage.ObjectInfo
	// Postponed are unreferenced objects kept because a backup of the node
	// may be running: it may reuse them in a manifest not written yet.
	Postponed []storage.ObjectInfo
	// Locked are unreferenced objects the store refused to delete for
	// Object Lock retention, LockedUntil the earliest release among them.
	Locked      []storage.ObjectInfo
	LockedUntil time.Time
}

// SelectOrphans picks the objects of a node's differential pool to delete,
// as Medusa's cleanup_obsolete_files does: an object any remaining
// manifest references (referenced, by full key) is never deleted; an
// unreferenced one is deleted when its LastModified is at or before
// now − graceDays days, and otherwise kept and counted. When postpone is
// set (a backup of the node may be running, see MayBeRunning) no object is
// deleted: a running differential backup reuses pool objects that only
// its future manifest will reference, whatever their age.
func SelectOrphans(pool []storage.ObjectInfo, referenced map[string]bool, now time.Time, graceDays int,
	postpone bool) OrphanPlan {
	cutoff := graceCutoff(now, graceDays)
	var p OrphanPlan
	for _, o := range pool {
		switch {
		case referenced[o.Key]:
		case o.ModTime.Unix() > cutoff:
			p.WithinGrace = append(p.WithinGrace, o)
		case postpone:
			p.Postponed = append(p.Postponed, o)
		default:
			p.Delete = append(p.Delete, o)
		}
	}
	return p
}

// Referenced adds the paths of m's objects to set.
func Referenced(set map[string]bool, m layout.Manifest) {
	for _, s := range m {
		for _, o := range s.Objects {
			set[o.Path] = true
		}
	}
}
