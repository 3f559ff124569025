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
	seg := func(id int64, run string) SegmentInfo { return SegmentInfo{ID: id, JVMRun: run} }
	segs := []SegmentInfo{seg(10, "a"), seg(11, "a"), seg(13, "a"), seg(17, "a"), seg(500, "b"), seg(501, "b"),
		seg(600, ""), seg(700, "")}
	gaps := Gaps(segs)
	want := []Gap{{11, 13}, {13, 17}}
	if len(gaps) != len(want) || gaps[0] != want[0] || gaps[1] != want[1] {
		t.Errorf("Gaps = %v, want %v", gaps, want)
	}
	if s := gaps[0].String(); s != "segment id 12 is missing" {
		t.Errorf("String = %q", s)
	}
	if s := gaps[1].String(); s != "segment ids 14 to 16 are missing" {
		t.Errorf("String = %q", s)
	}
	if runs := Runs(segs); len(runs) != 6 || len(runs[0]) != 2 || len(runs[3]) != 2 {
		t.Errorf("Runs = %v", runs)
	}
}
