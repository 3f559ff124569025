package purge

import (
	"sort"
	"strings"
	"time"

	"github.com/medusa-go/medusa/internal/commitlog"
	"github.com/medusa-go/medusa/internal/storage"
)

// SegmentPin says which archived commit log segments something kept still
// needs: those whose id is at least MinID (when HasID) or that were last
// written at or after Before. A segment no pin needs may be deleted.
type SegmentPin struct {
	// Backup names the kept backup the pin comes from ("" for the pin
	// every purge has: the segments of the last retention_grace, which a
	// backup about to be taken may need).
	Backup string
	MinID  int64
	HasID  bool
	Before time.Time
}

// needs reports whether the pin keeps the segment id last written at mtime.
func (p SegmentPin) needs(id int64, mtime time.Time) bool {
	return (p.HasID && id >= p.MinID) || !mtime.Before(p.Before)
}

// SegmentGroup is one archived segment in storage: its sidecar
// (<...>.log.json, nil when missing) and its segment objects
// (<...>.log.zst or .raw).
type SegmentGroup struct {
	Name    commitlog.SegmentName
	MtimeMs int64
	Info    *storage.ObjectInfo
	Objects []storage.ObjectInfo
}

// size returns the number and total size of the group's objects.
func (g SegmentGroup) size() (objects int, bytes int64) {
	if g.Info != nil {
		objects, bytes = 1, g.Info.Size
	}
	for _, o := range g.Objects {
		objects, bytes = objects+1, bytes+o.Size
	}
	return objects, bytes
}

// SegmentPlan is what the clean-up of one node's archived commit log
// segments (P<fqdn>/commitlogs/) does.
type SegmentPlan struct {
	// Pins are the bounds applied (see SelectSegments).
	Pins []SegmentPin
	// Delete are the segments no pin needs: deleted (or, in a dry run,
	// that would be).
	Delete []SegmentGroup
	// Kept is the number of segments kept because a pin needs them or
	// because a segment object without its sidecar is younger than the
	// grace (an upload in progress).
	Kept int
	// Unknown are objects under commitlogs/ that are not segments or
	// sidecars: never deleted by retention; deleted with a decommissioned
	// node (DeleteUnknown).
	Unknown       []storage.ObjectInfo
	DeleteUnknown bool
	// Locked are the segments the store refused to delete for Object Lock
	// retention (kept and counted), LockedUntil the earliest release.
	Locked      []SegmentGroup
	LockedUntil time.Time
}

// Deleted returns the number of segments and objects deleted and their
// total size (unknown objects of a decommissioned node included).
func (p SegmentPlan) Deleted() (segments, objects int, bytes int64) {
	for _, g := range p.Delete {
		o, b := g.size()
		segments, objects, bytes = segments+1, objects+o, bytes+b
	}
	if p.DeleteUnknown {
		for _, o := range p.Unknown {
			objects, bytes = objects+1, bytes+o.Size
		}
	}
	return segments, objects, bytes
}

// groupSegments sorts the objects under P<fqdn>/commitlogs/ into segments
// (by id, then mtime) and unknown objects; keyPrefix is the layout's.
func groupSegments(objs []storage.ObjectInfo, keyPrefix string) ([]SegmentGroup, []storage.ObjectInfo) {
	byBase := map[string]*SegmentGroup{}
	var unknown []storage.ObjectInfo
	for _, o := range objs {
		_, mtime, name, kind, err := commitlog.ParseKey(strings.TrimPrefix(o.Key, keyPrefix))
		if err != nil {
			unknown = append(unknown, o)
			continue
		}
		base := o.Key[:strings.LastIndex(o.Key, ".")]
		g := byBase[base]
		if g == nil {
			g = &SegmentGroup{Name: name, MtimeMs: mtime}
			byBase[base] = g
		}
		if kind == commitlog.KindInfo {
			g.Info = &o
		} else {
			g.Objects = append(g.Objects, o)
		}
	}
	out := make([]SegmentGroup, 0, len(byBase))
	for _, g := range byBase {
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name.ID != out[j].Name.ID {
			return out[i].Name.ID < out[j].Name.ID
		}
		return out[i].MtimeMs < out[j].MtimeMs
	})
	return out, unknown
}

// SelectSegments picks the archived segments of one node to delete. With
// all (the node left the cluster) every object under commitlogs/ goes.
// Otherwise a segment is kept when any pin needs it (pins always include
// the last grace: now − grace), and a segment object without its sidecar
// (an upload whose sidecar is not written yet) is also kept while its
// LastModified is within the grace; objects that are not segments are
// never deleted.
func SelectSegments(objs []storage.ObjectInfo, keyPrefix string, pins []SegmentPin, now time.Time,
	grace time.Duration, all bool) SegmentPlan {
	groups, unknown := groupSegments(objs, keyPrefix)
	p := SegmentPlan{Pins: append([]SegmentPin{{Before: now.Add(-grace)}}, pins...)}
	p.Unknown = unknown
	if all {
		p.Delete, p.DeleteUnknown = groups, true
		return p
	}
	for _, g := range groups {
		if p.needed(g, now, grace) {
			p.Kept++
			continue
		}
		p.Delete = append(p.Delete, g)
	}
	return p
}

func (p SegmentPlan) needed(g SegmentGroup, now time.Time, grace time.Duration) bool {
	mtime := time.UnixMilli(g.MtimeMs)
	for _, pin := range p.Pins {
		if pin.needs(g.Name.ID, mtime) {
			return true
		}
	}
	if g.Info == nil {
		for _, o := range g.Objects {
			if o.ModTime.After(now.Add(-grace)) {
				return true
			}
		}
	}
	return false
}

// isCommitlogKey reports whether rel (a key below the prefix, split into
// segs) is the sidecar of an archived segment: P<fqdn>/commitlogs/<...>.json.
func isCommitlogKey(rel string, segs []string) bool {
	if len(segs) != 3 || segs[1] != commitlog.Dir {
		return false
	}
	_, _, _, kind, err := commitlog.ParseKey(rel)
	return err == nil && kind == commitlog.KindInfo
}

// keptBecause says which pins keep segments, for the summary.
func (p SegmentPlan) keptBecause() string {
	var names []string
	for _, pin := range p.Pins {
		if pin.Backup != "" {
			names = append(names, pin.Backup)
		}
	}
	if len(names) == 0 {
		return "written within the retention grace"
	}
	return "needed by backup " + strings.Join(names, ", ") + " or written within the retention grace"
}
