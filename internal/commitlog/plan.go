package commitlog

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// DefaultSkew is how far past the target time the segment selection
// reaches by default: a write stamped at or before the target may land in
// a segment last written a little later (client clocks, the coordinator's
// clock, commitlog_sync_period).
const DefaultSkew = 60 * time.Second

// BaseBackup is one backup of the node, as the planner weighs it as the
// base of a point-in-time restore.
type BaseBackup struct {
	Name string
	// Complete: the node backup finished (it has meta/manifest.json).
	Complete bool
	// Meta is the backup's meta/pitr.json; nil when it has none.
	Meta *PitrMeta
}

// PlanOptions tune Plan.
type PlanOptions struct {
	// Skew: the segments selected run through the first one whose last
	// write is later than the target plus Skew (default DefaultSkew).
	Skew time.Duration
	// Latest restores to the newest archived write: the base is the newest
	// backup taken before it, every segment from there on is replayed.
	Latest bool
	// Backup, when set, is the only backup considered as the base.
	Backup string
	// Restores are the node's point-in-time restore markers
	// (ListMarkers): they split its history into timelines.
	Restores []RestoreMarker
}

// RestorePlan is what a point-in-time restore replays over which backup.
type RestorePlan struct {
	// Base is the backup restored first; BaseMeta its pitr.json.
	Base     string
	BaseMeta PitrMeta
	// Target is the point in time (with Latest: the newest archived
	// write).
	Target time.Time
	Latest bool
	// Segments are the archived segments to replay, sorted by id.
	Segments []SegmentInfo
	// NewestWrite is the newest archived write of the node (the last
	// modification of its newest archived segment).
	NewestWrite time.Time
	// NotEligible says, for each newer backup passed over, why.
	NotEligible []string
	// Since is the point-in-time restore the target's timeline starts
	// with, Until the one that abandoned it (nil: none).
	Since, Until *RestoreMarker
}

// RawBytes is the size of the selected segments once downloaded.
func (p RestorePlan) RawBytes() int64 {
	var n int64
	for _, s := range p.Segments {
		n += s.RawSize
	}
	return n
}

// ErrNotRestorable marks a point in time the archive cannot reach: no
// base backup, a hole in the archived segments, or a time after the
// newest archived write.
var ErrNotRestorable = errors.New("point in time not restorable")

// Plan chooses the base backup and the archived segments of a
// point-in-time restore of one node to target:
//
//   - the base is the newest complete backup whose pitr.json has
//     snapshot_started_us <= target (backups without pitr.json, or taken
//     while archiving was off, are passed over, saying why);
//   - the segments run from the smallest id active when the base's
//     snapshot was taken (else, for a pitr.json without that listing, the
//     first segment last written after the snapshot started, less 2 s)
//     through the first segment last written later than target+skew (all
//     of them with Latest);
//   - within a Cassandra run segment ids are consecutive: a missing id is
//     a hole, refused with the missing ids and times named. Two
//     neighbours whose ids jump are a restart (a new run) when the later
//     id, which is its run's start time in milliseconds, is not before the
//     earlier segment's last write; otherwise segments were lost;
//   - a target after the newest archived write is refused, naming the
//     latest restorable time (Latest restores to it);
//   - a point-in-time restore forks the node's history (o.Restores): for a
//     target before a restore, the segments last written after that
//     restore are left out (they belong to the restored timeline); for a
//     target after a restore, only backups taken after it are bases. With
//     Latest the target is the newest write archived since the last
//     restore.
//
// segs are the node's archived segments (List); backups need not be
// sorted. Errors wrap ErrNotRestorable.
func Plan(backups []BaseBackup, segs []SegmentInfo, target time.Time, o PlanOptions) (RestorePlan, error) {
	if o.Skew <= 0 {
		o.Skew = DefaultSkew
	}
	segs = dedupe(segs)
	if len(segs) == 0 {
		return RestorePlan{}, fmt.Errorf("%w: no archived commit log segment of this node in the bucket "+
			"(is [cassandra] commitlog_archiving on and `medusa commitlog sync` running?)", ErrNotRestorable)
	}
	markers := append([]RestoreMarker(nil), o.Restores...)
	sort.Slice(markers, func(i, j int) bool { return markers[i].RestoredAtMs < markers[j].RestoredAtMs })
	if o.Latest {
		target = newestWrite(segs)
		if n := len(markers); n > 0 && !target.After(markers[n-1].RestoredAt()) {
			return RestorePlan{}, fmt.Errorf("%w: no segment was archived since the point-in-time restore of %s "+
				"(to %s): the newest archived write (%s) belongs to the timeline it abandoned; restore to a time "+
				"with --pitr, or wait until a segment written since is archived", ErrNotRestorable,
				fmtTime(markers[n-1].RestoredAt()), fmtTime(markers[n-1].Target), fmtTime(target))
		}
	}
	p := RestorePlan{Latest: o.Latest}
	p.Since, p.Until = Timeline(markers, target)
	if p.Until != nil {
		segs = slices.DeleteFunc(segs, func(s SegmentInfo) bool { return s.MtimeMs > p.Until.RestoredAtMs })
		if len(segs) == 0 {
			return RestorePlan{}, fmt.Errorf("%w: no segment archived before the point-in-time restore of %s",
				ErrNotRestorable, fmtTime(p.Until.RestoredAt()))
		}
	}
	p.NewestWrite = newestWrite(segs)
	if !o.Latest && target.After(p.NewestWrite) {
		if p.Until != nil {
			return RestorePlan{}, fmt.Errorf("%w: %s is after the newest write archived before the point-in-time "+
				"restore of %s (%s): later writes of that timeline were never archived", ErrNotRestorable,
				fmtTime(target), fmtTime(p.Until.RestoredAt()), fmtTime(p.NewestWrite))
		}
		return RestorePlan{}, fmt.Errorf("%w: %s is after the newest archived write (%s): the latest restorable time "+
			"is %s; restore to it with --pitr-latest, or wait until the segment holding later writes is archived",
			ErrNotRestorable, fmtTime(target), fmtTime(p.NewestWrite), fmtTime(p.NewestWrite))
	}
	base, notEligible, err := chooseBase(backups, target, o, p.Since)
	p.NotEligible = notEligible
	if err != nil {
		return p, err
	}
	p.Base, p.BaseMeta = base.Name, *base.Meta
	p.Target = target
	sel, err := selectSegments(segs, *base.Meta, target, o)
	if err != nil {
		return p, fmt.Errorf("base backup %s: %w", base.Name, err)
	}
	p.Segments = sel
	return p, nil
}

// dedupe keeps one segment per id (the most recently written one, as
// List sorts by id then mtime), copying segs sorted by id.
func dedupe(segs []SegmentInfo) []SegmentInfo {
	out := append([]SegmentInfo(nil), segs...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].ID != out[j].ID {
			return out[i].ID < out[j].ID
		}
		return out[i].MtimeMs < out[j].MtimeMs
	})
	w := 0
	for i := range out {
		if w > 0 && out[w-1].ID == out[i].ID {
			out[w-1] = out[i]
			continue
		}
		out[w] = out[i]
		w++
	}
	return out[:w]
}

func newestWrite(segs []SegmentInfo) time.Time {
	var ms int64
	for _, s := range segs {
		ms = max(ms, s.MtimeMs)
	}
	return time.UnixMilli(ms).UTC()
}

// chooseBase returns the newest eligible backup for target, and why each
// newer backup was passed over. A backup is a base for target only when
// its snapshot ended (snapshot_taken_us) at or before target: a snapshot
// may hold writes made while it was taken, which a restore to an earlier
// time could not take back.
func chooseBase(backups []BaseBackup, target time.Time, o PlanOptions, since *RestoreMarker) (BaseBackup, []string, error) {
	sorted := append([]BaseBackup(nil), backups...)
	startedUs := func(b BaseBackup) int64 {
		if b.Meta == nil {
			return -1
		}
		return b.Meta.SnapshotStartedUs
	}
	sort.SliceStable(sorted, func(i, j int) bool {
		if a, b := startedUs(sorted[i]), startedUs(sorted[j]); a != b {
			return a > b
		}
		return sorted[i].Name > sorted[j].Name
	})
	tUs := target.UnixMicro()
	var why []string
	for _, b := range sorted {
		if o.Backup != "" && b.Name != o.Backup {
			continue
		}
		if b.Meta != nil && b.Meta.UsableFromUs() > tUs && o.Backup == "" {
			continue // newer than the target: not a candidate, nothing to explain
		}
		reason := ""
		switch {
		case !b.Complete:
			reason = "not complete (no meta/manifest.json)"
		case b.Meta == nil:
			reason = "no meta/pitr.json: taken with [cassandra] commitlog_archiving off, by an older medusa or by Python Medusa"
		case !b.Meta.Archiving:
			reason = "commit log archiving was off when it was taken"
		case b.Meta.UsableFromUs() > tUs:
			reason = "its snapshot ended at " + fmtTime(time.UnixMicro(b.Meta.UsableFromUs())) +
				", after " + fmtTime(target) + " (the snapshot may hold writes made while it was taken)"
		case since != nil && b.Meta.SnapshotStartedUs <= since.RestoredAtMs*1000:
			reason = "taken before the point-in-time restore of " + fmtTime(since.RestoredAt()) +
				": it holds the timeline that restore abandoned (take a backup after a point-in-time restore)"
		}
		if reason != "" {
			why = append(why, b.Name+": "+reason)
			continue
		}
		return b, why, nil
	}
	what := "no complete backup of this node with meta/pitr.json whose snapshot ended at or before " + fmtTime(target)
	if o.Backup != "" {
		what = "backup " + o.Backup + " cannot be the base of a restore to " + fmtTime(target)
		if len(why) == 0 {
			what = "no backup " + o.Backup + " of this node"
		}
	}
	if len(why) > 0 {
		what += " (" + strings.Join(why, "; ") + ")"
	}
	return BaseBackup{}, why, fmt.Errorf("%w: %s", ErrNotRestorable, what)
}

// selectSegments picks the segments from the base's snapshot through the
// first one last written after target+skew, and checks that none is
// missing.
func selectSegments(segs []SegmentInfo, m PitrMeta, target time.Time, o PlanOptions) ([]SegmentInfo, error) {
	first := 0
	minID, ok := m.MinActiveID()
	if ok {
		for first < len(segs) && segs[first].ID < minID {
			first++
		}
	} else {
		from := m.SnapshotStartedUs/1000 - 2000
		for first < len(segs) && segs[first].MtimeMs < from {
			first++
		}
	}
	if first == len(segs) {
		return nil, fmt.Errorf("%w: no archived segment since the snapshot (active segments %v); the newest "+
			"archived is %s, last written %s", ErrNotRestorable, m.ActiveSegments, segs[len(segs)-1].Name,
			fmtTime(segs[len(segs)-1].Mtime()))
	}
	if ok && segs[first].ID != minID {
		prev := "none"
		if first > 0 {
			prev = segs[first-1].Name + " (last written " + fmtTime(segs[first-1].Mtime()) + ")"
		}
		return nil, fmt.Errorf("%w: segment id %d, active when the base's snapshot was taken, is not archived "+
			"(previous archived segment: %s; next: %s, last written %s)", ErrNotRestorable, minID, prev,
			segs[first].Name, fmtTime(segs[first].Mtime()))
	}
	last := len(segs) - 1
	if !o.Latest {
		limit := target.Add(o.Skew).UnixMilli()
		for i := first; i < len(segs); i++ {
			if segs[i].MtimeMs > limit {
				last = i
				break
			}
		}
	}
	sel := segs[first : last+1]
	if holes := Holes(sel); len(holes) > 0 {
		var parts []string
		for _, h := range holes {
			parts = append(parts, h.String())
		}
		return nil, fmt.Errorf("%w: archived segments are missing: %s; the archive is continuous only up to %s",
			ErrNotRestorable, strings.Join(parts, "; "), fmtTime(holes[0].After.Mtime()))
	}
	return append([]SegmentInfo(nil), sel...), nil
}

// Hole is a run of missing segments between two archived ones.
type Hole struct {
	After, Before SegmentInfo
}

// String names the missing ids and the time they span.
func (h Hole) String() string {
	ids := fmt.Sprintf("ids %d to %d", h.After.ID+1, h.Before.ID-1)
	if h.Before.ID-h.After.ID == 2 {
		ids = fmt.Sprintf("id %d", h.After.ID+1)
	}
	return fmt.Sprintf("segment %s (between %s, last written %s, and %s, last written %s)", ids,
		h.After.Name, fmtTime(h.After.Mtime()), h.Before.Name, fmtTime(h.Before.Mtime()))
}

// Holes returns the missing segments of segs (sorted by id, one per id).
// Ids are consecutive within a Cassandra run; a run starts at its start
// time in milliseconds (or one past the largest id on disk). A jump from a
// to b is therefore a restart when b's id is not before a's last write,
// and lost segments when it is: a run's ids grow by one per segment, far
// slower than the clock. This holds whichever process archived a segment
// (a run archives its predecessor's leftovers at startup).
func Holes(segs []SegmentInfo) []Hole {
	var out []Hole
	for i := 1; i < len(segs); i++ {
		a, b := segs[i-1], segs[i]
		if b.ID > a.ID+1 && b.ID < a.MtimeMs {
			out = append(out, Hole{After: a, Before: b})
		}
	}
	return out
}

func fmtTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }
