package commitlog

import (
	"strings"
	"testing"
)

func TestKeys(t *testing.T) {
	t.Parallel()
	info := SegmentInfo{Name: "CommitLog-7-1765000000123.log", Version: 7, ID: 1765000000123,
		MtimeMs: 1765000004567, Codec: CodecZstd}
	seg, side := SegmentKey("node1.example", info), InfoKey("node1.example", info)
	if want := "node1.example/commitlogs/1765000004567-CommitLog-7-1765000000123.log.zst"; seg != want {
		t.Errorf("SegmentKey = %q, want %q", seg, want)
	}
	if want := "node1.example/commitlogs/1765000004567-CommitLog-7-1765000000123.log.json"; side != want {
		t.Errorf("InfoKey = %q, want %q", side, want)
	}
	small := info
	small.MtimeMs = 42
	if k := SegmentKey("n", small); !strings.Contains(k, "/0000000000042-CommitLog") {
		t.Errorf("mtime not zero-padded to 13 digits: %q", k)
	}
	for _, k := range []string{seg, side, SegmentKey("n", small)} {
		if strings.Contains(strings.TrimPrefix(k, "node1.example"), "meta") {
			t.Errorf("key %q contains \"meta\"", k)
		}
		f, ms, name, kind, err := ParseKey(k)
		if err != nil {
			t.Fatalf("ParseKey(%q): %v", k, err)
		}
		if (f != "node1.example" && f != "n") || name.ID != info.ID || name.Version != 7 ||
			(ms != info.MtimeMs && ms != 42) || (kind != CodecZstd && kind != KindInfo) {
			t.Errorf("ParseKey(%q) = %q %d %v %q", k, f, ms, name, kind)
		}
	}
	for _, bad := range []string{
		"node/commitlogs/176500000456-CommitLog-7-1.log.zst",
		"node/commitlogs/1765000004567-CommitLog-7-1.log.gz",
		"node/commitlogs/1765000004567-CommitLog-7-1.log",
		"node/data/1765000004567-CommitLog-7-1.log.zst",
		"commitlogs/1765000004567-CommitLog-7-1.log.zst",
	} {
		if _, _, _, _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
}

func TestGapsAndRuns(t *testing.T) {
	t.Parallel()
	// Run a started at ms 10 (ids 10..), run b at 5000, run c at 9000; mtimes
	// grow with the clock.
	seg := func(id, mtime int64, run string) SegmentInfo { return SegmentInfo{ID: id, MtimeMs: mtime, JVMRun: run} }
	segs := []SegmentInfo{seg(10, 100, "a"), seg(11, 200, "a"), seg(13, 400, "a"), seg(17, 800, "a"),
		// a's tail (18, 19) archived by run b at its start, under b's label:
		// not a gap, and neither is the restart from 19 to 5000.
		seg(18, 900, "b"), seg(19, 950, "b"), seg(5000, 6000, "b"), seg(5001, 6100, "b"),
		// Unknown run labels: the rule holds all the same (5003 lost).
		seg(5002, 6200, ""), seg(5004, 6300, ""), seg(9000, 9100, "")}
	gaps := Gaps(segs)
	want := []Gap{{11, 13}, {13, 17}, {5002, 5004}}
	if len(gaps) != len(want) || gaps[0] != want[0] || gaps[1] != want[1] || gaps[2] != want[2] {
		t.Errorf("Gaps = %v, want %v", gaps, want)
	}
	if s := gaps[0].String(); s != "segment id 12 is missing" {
		t.Errorf("String = %q", s)
	}
	if s := gaps[1].String(); s != "segment ids 14 to 16 are missing" {
		t.Errorf("String = %q", s)
	}
	// The planner sees the same holes.
	holes := Holes(segs)
	if len(holes) != len(gaps) {
		t.Errorf("Holes = %v, Gaps = %v", holes, gaps)
	}
	for i := range holes {
		if i < len(gaps) && (holes[i].After.ID != gaps[i].AfterID || holes[i].Before.ID != gaps[i].BeforeID) {
			t.Errorf("Holes[%d] = %v, Gaps[%d] = %v", i, holes[i], i, gaps[i])
		}
	}
	// Same-id duplicates (a .dup archive) are one segment.
	if g := Gaps(append([]SegmentInfo{seg(11, 150, "a")}, segs...)); len(g) != 3 {
		t.Errorf("Gaps with a duplicate = %v", g)
	}
	if runs := Runs(segs); len(runs) != 6 || len(runs[0]) != 2 || len(runs[2]) != 3 {
		t.Errorf("Runs = %v", runs)
	}
}
