package commitlog

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// t0 is the start of the first Cassandra run of the fixture, in ms: its
// segment ids are t0, t0+1, ... and segment i was last written at
// t0 + (i+1)*10 s.
const t0 = int64(1_700_000_000_000)

func seg(id, mtimeMs int64, run string) SegmentInfo {
	n := SegmentName{Version: 7, ID: id}
	return SegmentInfo{Name: n.String(), Version: 7, ID: id, MtimeMs: mtimeMs, Codec: CodecZstd, RawSize: 1 << 20,
		JVMRun: run}
}

// run1 returns segments 0..n-1 of the first run.
func run1(n int) []SegmentInfo {
	var out []SegmentInfo
	for i := range int64(n) {
		out = append(out, seg(t0+i, t0+(i+1)*10_000, "r1"))
	}
	return out
}

func at(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func meta(startedMs int64, active ...int64) *PitrMeta {
	m := &PitrMeta{SnapshotStartedUs: startedMs * 1000, SnapshotTakenUs: startedMs*1000 + 500_000, Archiving: true,
		Precision: "MICROSECONDS"}
	for _, id := range active {
		m.ActiveSegments = append(m.ActiveSegments, SegmentName{Version: 7, ID: id}.String())
	}
	return m
}

// backups: b1 (snapshot at 15 s, segment 1 active), b2 (35 s, segment
// 3 and the pre-allocated 4), a backup without pitr.json, one taken with
// archiving off and an unfinished one, the last three newer than b2.
func backups() []BaseBackup {
	off := meta(t0+45_000, t0+4)
	off.Archiving = false
	return []BaseBackup{
		{Name: "b1", Complete: true, Meta: meta(t0+15_000, t0+1)},
		{Name: "b2", Complete: true, Meta: meta(t0+35_000, t0+4, t0+3)},
		{Name: "py", Complete: true},
		{Name: "off", Complete: true, Meta: off},
		{Name: "running", Complete: false, Meta: meta(t0+50_000, t0+4)},
	}
}

func without(segs []SegmentInfo, ids ...int64) []SegmentInfo {
	var out []SegmentInfo
	for _, s := range segs {
		keep := true
		for _, id := range ids {
			keep = keep && s.ID != id
		}
		if keep {
			out = append(out, s)
		}
	}
	return out
}

func TestPlan(t *testing.T) {
	restart := append(run1(12), seg(t0+200_000, t0+210_000, "r2"), seg(t0+200_001, t0+220_000, "r2"))
	// A run killed after segment 11: the next run archives that leftover
	// at its start, under its own run id.
	leftover := append(run1(11), seg(t0+11, t0+120_000, "r2"), seg(t0+200_000, t0+210_000, "r2"))
	dup := append(run1(12), seg(t0+5, t0+61_000, "r1"))
	noActive := backups()
	noActive[1].Meta.ActiveSegments = nil
	tests := []struct {
		name     string
		backups  []BaseBackup
		segs     []SegmentInfo
		target   int64 // ms
		o        PlanOptions
		base     string
		from, to int64 // selected ids, relative to t0
		target2  int64 // expected Target (ms), when not target
		errHas   []string
		eligible []string // NotEligible entries' names
	}{
		{name: "between backups", backups: backups(), segs: run1(12), target: t0 + 40_000, base: "b2", from: 3, to: 10,
			eligible: []string{}},
		{name: "newer backups passed over", backups: backups(), segs: run1(12), target: t0 + 55_000, base: "b2",
			from: 3, to: 11, eligible: []string{"running", "off"}},
		{name: "older base", backups: backups(), segs: run1(12), target: t0 + 20_000, base: "b1", from: 1, to: 8},
		{name: "target equals snapshot start: the older base", backups: backups(), segs: run1(12), target: t0 + 35_000,
			base: "b1", from: 1, to: 9},
		{name: "target inside the snapshot: the older base", backups: backups(), segs: run1(12), target: t0 + 35_499,
			base: "b1", from: 1, to: 9},
		{name: "target equals snapshot end", backups: backups(), segs: run1(12), target: t0 + 35_500, base: "b2",
			from: 3, to: 9},
		{name: "no base before the target", backups: backups(), segs: run1(12), target: t0 + 10_000,
			errHas: []string{"no complete backup", "py: no meta/pitr.json"}},
		{name: "after the newest archived write", backups: backups(), segs: run1(12), target: t0 + 130_000,
			errHas: []string{"after the newest archived write", "latest restorable time is 2023-11-14T22:15:20.000000Z",
				"--pitr-latest"}},
		{name: "latest", backups: backups(), segs: run1(12), target: t0 + 999_000, o: PlanOptions{Latest: true},
			base: "b2", from: 3, to: 11, target2: t0 + 120_000},
		{name: "hole", backups: backups(), segs: without(run1(12), t0+5, t0+6), target: t0 + 40_000,
			errHas: []string{fmt.Sprintf("segment ids %d to %d", t0+5, t0+6), "CommitLog-7-1700000000004.log",
				"continuous only up to 2023-11-14T22:14:10.000000Z"}},
		{name: "hole after the cut is harmless", backups: backups(), segs: without(run1(12), t0+11),
			target: t0 + 40_000, base: "b2", from: 3, to: 10},
		{name: "active segment missing", backups: backups(), segs: without(run1(12), t0+3), target: t0 + 40_000,
			errHas: []string{fmt.Sprintf("segment id %d, active when the base's snapshot was taken, is not archived", t0+3)}},
		{name: "restart is not a hole", backups: backups(), segs: restart, target: t0 + 215_000, base: "b2",
			from: 3, to: 200_001},
		{name: "leftover archived by the next run", backups: backups(), segs: leftover, target: t0 + 205_000,
			base: "b2", from: 3, to: 200_000},
		{name: "chosen backup", backups: backups(), segs: run1(12), target: t0 + 40_000, o: PlanOptions{Backup: "b1"},
			base: "b1", from: 1, to: 10},
		{name: "chosen backup after the target", backups: backups(), segs: run1(12), target: t0 + 20_000,
			o:      PlanOptions{Backup: "b2"},
			errHas: []string{"backup b2 cannot be the base", "b2: its snapshot ended at 2023-11-14T22:13:55.500000Z"}},
		{name: "chosen backup without pitr.json", backups: backups(), segs: run1(12), target: t0 + 100_000,
			o: PlanOptions{Backup: "py"}, errHas: []string{"py: no meta/pitr.json"}},
		{name: "unknown chosen backup", backups: backups(), segs: run1(12), target: t0 + 40_000,
			o: PlanOptions{Backup: "nope"}, errHas: []string{"no backup nope"}},
		{name: "no active segments listed: by time", backups: noActive, segs: run1(12), target: t0 + 40_000,
			base: "b2", from: 3, to: 10},
		{name: "small skew", backups: backups(), segs: run1(12), target: t0 + 40_000, o: PlanOptions{Skew: time.Second},
			base: "b2", from: 3, to: 4},
		{name: "duplicate id keeps the latest copy", backups: backups(), segs: dup, target: t0 + 40_000, base: "b2",
			from: 3, to: 10},
		{name: "nothing archived", backups: backups(), target: t0 + 40_000, errHas: []string{"no archived commit log segment"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Plan(tc.backups, tc.segs, at(tc.target), tc.o)
			if len(tc.errHas) > 0 {
				if err == nil {
					t.Fatalf("planned %s with %d segments, want an error", p.Base, len(p.Segments))
				}
				if !errors.Is(err, ErrNotRestorable) {
					t.Errorf("error %v does not wrap ErrNotRestorable", err)
				}
				for _, s := range tc.errHas {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q lacks %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Base != tc.base {
				t.Errorf("base %s, want %s", p.Base, tc.base)
			}
			if len(p.Segments) == 0 {
				t.Fatal("no segment selected")
			}
			first, last := p.Segments[0].ID-t0, p.Segments[len(p.Segments)-1].ID-t0
			if first != tc.from || last != tc.to {
				t.Errorf("segments %d..%d (relative ids), want %d..%d", first, last, tc.from, tc.to)
			}
			for i := 1; i < len(p.Segments); i++ {
				if p.Segments[i].ID <= p.Segments[i-1].ID {
					t.Errorf("segments not sorted or duplicated at %d: %d after %d", i, p.Segments[i].ID, p.Segments[i-1].ID)
				}
			}
			want := tc.target
			if tc.target2 != 0 {
				want = tc.target2
			}
			if !p.Target.Equal(at(want)) {
				t.Errorf("target %s, want %s", p.Target, at(want))
			}
			if tc.eligible != nil {
				if len(p.NotEligible) != len(tc.eligible) {
					t.Fatalf("not eligible %q, want %q", p.NotEligible, tc.eligible)
				}
				for i, n := range tc.eligible {
					if !strings.HasPrefix(p.NotEligible[i], n+": ") {
						t.Errorf("not eligible[%d] = %q, want %s", i, p.NotEligible[i], n)
					}
				}
			}
			if p.RawBytes() != int64(len(p.Segments))<<20 {
				t.Errorf("raw bytes %d for %d segments", p.RawBytes(), len(p.Segments))
			}
		})
	}
}

func TestPlanDuplicateKeepsLatestCopy(t *testing.T) {
	segs := append(run1(12), seg(t0+5, t0+61_000, "r1"))
	p, err := Plan(backups(), segs, at(t0+40_000), PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range p.Segments {
		if s.ID == t0+5 && s.MtimeMs != t0+61_000 {
			t.Errorf("segment %d: kept the copy last written %d, want the later one", s.ID, s.MtimeMs)
		}
	}
}

func TestHoles(t *testing.T) {
	tests := []struct {
		name string
		segs []SegmentInfo
		want []int64 // After ids, relative to t0
	}{
		{name: "contiguous", segs: run1(5)},
		{name: "one missing", segs: without(run1(5), t0+2), want: []int64{1}},
		{name: "two holes", segs: without(run1(8), t0+2, t0+5, t0+6), want: []int64{1, 4}},
		{name: "restart", segs: append(run1(3), seg(t0+100_000, t0+110_000, "r2"))},
		{name: "restart with unknown runs", segs: []SegmentInfo{seg(t0, t0+10_000, ""), seg(t0+60_000, t0+70_000, "")}},
		{name: "jump smaller than the run's age", segs: []SegmentInfo{seg(t0, t0+10_000, ""), seg(t0+5_000, t0+20_000, "")},
			want: []int64{0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := Holes(tc.segs)
			if len(h) != len(tc.want) {
				t.Fatalf("holes %v, want after %v", h, tc.want)
			}
			for i, w := range tc.want {
				if h[i].After.ID-t0 != w {
					t.Errorf("hole %d after %d, want %d", i, h[i].After.ID-t0, w)
				}
			}
		})
	}
}
