package commitlog

import (
	"fmt"
	"sort"
	"time"
)

// WindowBase is one finished backup of a node with its meta/pitr.json: a
// possible base of a point-in-time restore.
type WindowBase struct {
	Backup string
	Meta   PitrMeta
}

// Span is an interval of restorable times: a restore to any instant in
// [From, To] finds a base backup and every segment it needs.
type Span struct {
	From, To time.Time
	// Base is the backup a restore to From starts from.
	Base string
}

// Window is the recoverable window of one node: what list-backups and
// status show.
type Window struct {
	FQDN string
	// Segments is the number of archived segments of the node.
	Segments int
	// Spans are the restorable intervals, sorted and disjoint: between
	// two of them segments are missing (a gap) or no base backup exists.
	Spans []Span
	// Why says, when Spans is empty, why no time is restorable.
	Why string
}

// Earliest returns the earliest restorable time (zero when none).
func (w Window) Earliest() time.Time {
	if len(w.Spans) == 0 {
		return time.Time{}
	}
	return w.Spans[0].From
}

// Latest returns the latest restorable time (zero when none).
func (w Window) Latest() time.Time {
	if len(w.Spans) == 0 {
		return time.Time{}
	}
	return w.Spans[len(w.Spans)-1].To
}

// ComputeWindow returns the recoverable window of a node from its
// archived segments (any order; keys are enough: id and mtime) and its
// finished backups with pitr.json:
//
//   - a backup taken while archiving was on restores to any time from the
//     end of its snapshot (snapshot_taken_us: the snapshot may hold writes
//     made while it was taken) through the last write of the last segment
//     reachable from its snapshot without a gap. The first segment needed
//     is the smallest one active at the snapshot (without that listing:
//     the first written since the snapshot started, less 2 s, as the
//     restore planner does), and it must be archived;
//   - a gap is a jump in ids within one Cassandra run: ids are
//     consecutive in a run, and a run starts at its start time in
//     milliseconds, so a jump to an id earlier than the previous
//     segment's last write means lost segments, a later one a restart;
//   - the spans of all bases are merged; the earliest restorable time is
//     the start of the first, the latest the end of the last.
func ComputeWindow(fqdn string, bases []WindowBase, segs []SegmentInfo) Window {
	segs = dedupe(segs)
	w := Window{FQDN: fqdn, Segments: len(segs)}
	if len(segs) == 0 {
		w.Why = "no archived segment"
		return w
	}
	breakAfter := map[int64]bool{} // ids of the segments a hole follows
	for _, h := range Holes(segs) {
		breakAfter[h.After.ID] = true
	}
	var spans []Span
	w.Why = "no backup of the node has meta/pitr.json (backups write it with [cassandra] commitlog_archiving = True)"
	for _, b := range bases {
		if !b.Meta.Archiving {
			w.Why = fmt.Sprintf("backup %s was taken while commit log archiving was off", b.Backup)
			continue
		}
		first, why := firstSegment(segs, b)
		if why != "" {
			w.Why = why
			continue
		}
		last := first
		for last+1 < len(segs) && !breakAfter[segs[last].ID] {
			last++
		}
		var toMs int64
		for _, s := range segs[first : last+1] {
			toMs = max(toMs, s.MtimeMs)
		}
		from := time.UnixMicro(b.Meta.UsableFromUs())
		to := time.UnixMilli(toMs)
		if to.Before(from) {
			w.Why = fmt.Sprintf("no segment written since the snapshot of backup %s is archived yet", b.Backup)
			continue
		}
		spans = append(spans, Span{From: from.UTC(), To: to.UTC(), Base: b.Backup})
	}
	w.Spans = mergeSpans(spans)
	if len(w.Spans) > 0 {
		w.Why = ""
	}
	return w
}

// firstSegment returns the index in segs of the first segment a restore
// from b needs, or why there is none.
func firstSegment(segs []SegmentInfo, b WindowBase) (int, string) {
	minID, ok := b.Meta.MinActiveID()
	first := 0
	if ok {
		for first < len(segs) && segs[first].ID < minID {
			first++
		}
	} else {
		from := b.Meta.SnapshotStartedUs/1000 - 2000
		for first < len(segs) && segs[first].MtimeMs < from {
			first++
		}
	}
	switch {
	case first == len(segs):
		return 0, fmt.Sprintf("no segment written since the snapshot of backup %s is archived yet", b.Backup)
	case ok && segs[first].ID != minID:
		return 0, fmt.Sprintf("segment id %d, active at the snapshot of backup %s, is not archived", minID, b.Backup)
	}
	return first, ""
}

// mergeSpans sorts spans and merges those that overlap or touch.
func mergeSpans(spans []Span) []Span {
	sort.Slice(spans, func(i, j int) bool { return spans[i].From.Before(spans[j].From) })
	var out []Span
	for _, s := range spans {
		if n := len(out); n > 0 && !s.From.After(out[n-1].To) {
			if s.To.After(out[n-1].To) {
				out[n-1].To = s.To
			}
			continue
		}
		out = append(out, s)
	}
	return out
}
