package commitlog

import (
	"fmt"
	"testing"
	"time"
)

// winT0 is the time the test run of segments starts (its first id).
var winT0 = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// winSegs returns segments of one run started at winT0 with the offsets
// (from the run start) given, a zero offset meaning "missing": segment i
// has id start+i and was last written off[i] minutes after winT0.
func winSegs(start int64, off ...int) []SegmentInfo {
	var out []SegmentInfo
	for i, m := range off {
		if m == 0 {
			continue
		}
		id := start + int64(i)
		out = append(out, SegmentInfo{Name: fmt.Sprintf("CommitLog-7-%d.log", id), Version: 7, ID: id,
			MtimeMs: winT0.Add(time.Duration(m) * time.Minute).UnixMilli()})
	}
	return out
}

func winBase(name string, atMin int, active ...int64) WindowBase {
	started := winT0.Add(time.Duration(atMin) * time.Minute)
	m := PitrMeta{SnapshotStartedUs: started.UnixMicro(), SnapshotTakenUs: started.Add(time.Second).UnixMicro(), Archiving: true}
	for _, id := range active {
		m.ActiveSegments = append(m.ActiveSegments, fmt.Sprintf("CommitLog-7-%d.log", id))
	}
	return WindowBase{Backup: name, Meta: m}
}

func TestComputeWindow(t *testing.T) {
	run := winT0.UnixMilli()
	restart := winT0.Add(100 * time.Minute).UnixMilli() // a second run, started after the first one's last write
	at := func(min int, sec int) time.Time {
		return winT0.Add(time.Duration(min)*time.Minute + time.Duration(sec)*time.Second).UTC()
	}
	off := winBase("off", 5, run)
	off.Meta.Archiving = false
	tests := []struct {
		name  string
		bases []WindowBase
		segs  []SegmentInfo
		spans [][2]time.Time
		why   string
	}{
		{"one base, contiguous", []WindowBase{winBase("b1", 5, run, run+1)}, winSegs(run, 10, 20, 30),
			[][2]time.Time{{at(5, 1), at(30, 0)}}, ""},
		{"gap: a lost segment ends the span", []WindowBase{winBase("b1", 5, run)}, winSegs(run, 10, 20, 0, 40),
			[][2]time.Time{{at(5, 1), at(20, 0)}}, ""},
		{"two bases around a gap", []WindowBase{winBase("b1", 5, run), winBase("b2", 35, run+3)},
			winSegs(run, 10, 20, 0, 40, 50), [][2]time.Time{{at(5, 1), at(20, 0)}, {at(35, 1), at(50, 0)}}, ""},
		{"a restart is not a gap", []WindowBase{winBase("b1", 5, run)},
			append(winSegs(run, 10, 20), winSegs(restart, 0, 110, 120)...), [][2]time.Time{{at(5, 1), at(120, 0)}}, ""},
		{"overlapping bases merge", []WindowBase{winBase("b1", 5, run), winBase("b2", 15, run+1)},
			winSegs(run, 10, 20, 30), [][2]time.Time{{at(5, 1), at(30, 0)}}, ""},
		{"first segment of the base missing", []WindowBase{winBase("b1", 5, run)}, winSegs(run, 0, 20, 30), nil,
			fmt.Sprintf("segment id %d, active at the snapshot of backup b1, is not archived", run)},
		{"nothing archived since the snapshot", []WindowBase{winBase("b1", 50, run+5)}, winSegs(run, 10, 20), nil,
			"no segment written since the snapshot of backup b1 is archived yet"},
		{"no base", nil, winSegs(run, 10), nil, "no backup of the node has meta/pitr.json (backups write it with [cassandra] commitlog_archiving = True)"},
		{"archiving off", []WindowBase{off}, winSegs(run, 10), nil,
			"backup off was taken while commit log archiving was off"},
		{"no active listing: from the snapshot start less 2 s", []WindowBase{winBase("b1", 15)}, winSegs(run, 10, 20, 30),
			[][2]time.Time{{at(15, 1), at(30, 0)}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := ComputeWindow("n1", tt.bases, tt.segs)
			if w.Why != tt.why || len(w.Spans) != len(tt.spans) {
				t.Fatalf("window %+v, want spans %v why %q", w, tt.spans, tt.why)
			}
			for i, s := range w.Spans {
				if !s.From.Equal(tt.spans[i][0]) || !s.To.Equal(tt.spans[i][1]) {
					t.Errorf("span %d = %v .. %v, want %v .. %v", i, s.From, s.To, tt.spans[i][0], tt.spans[i][1])
				}
			}
			if len(w.Spans) > 0 && (!w.Earliest().Equal(tt.spans[0][0]) || !w.Latest().Equal(tt.spans[len(tt.spans)-1][1])) {
				t.Errorf("earliest %v, latest %v", w.Earliest(), w.Latest())
			}
			if w.Segments != len(tt.segs) {
				t.Errorf("Segments = %d, want %d", w.Segments, len(tt.segs))
			}
		})
	}
}
