package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/commitlog"
)

// commitlog list names the gaps by the planner's rule (a crashed run's
// tail archived by the next run is none) and the restores.
func TestCommitlogListSummary(t *testing.T) {
	t.Parallel()
	const t0 = int64(1_700_000_000_000)
	seg := func(id, mtime int64, run string) commitlog.SegmentInfo {
		return commitlog.SegmentInfo{Name: commitlog.SegmentName{Version: 7, ID: id}.String(), Version: 7, ID: id,
			MtimeMs: mtime, FirstWriteMs: mtime - 1000, JVMRun: run}
	}
	segs := []commitlog.SegmentInfo{seg(t0, t0+1000, "a"), seg(t0+1, t0+2000, "b"), seg(t0+3, t0+4000, "b"),
		seg(t0+9000, t0+10_000, "b")}
	s := summarize("n1", segs)
	s.Restores = []commitlog.RestoreMarker{{RestoredAtMs: t0 + 5000, Target: time.UnixMilli(t0 + 2500).UTC(),
		BaseBackup: "nightly"}}
	var out bytes.Buffer
	writeSummary(&out, s, time.UTC)
	got := out.String()
	for _, want := range []string{"GAP: segment id 1700000000002 is missing",
		"RESTORED at 2023-11-14 22:13:25.000 UTC to 2023-11-14 22:13:22.500 UTC (base backup nightly)"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "GAP"); n != 1 {
		t.Errorf("%d gaps, want 1:\n%s", n, got)
	}
}
