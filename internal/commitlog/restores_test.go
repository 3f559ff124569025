package commitlog

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestPlanTimelines: a point-in-time restore at R (Cassandra stopped at
// t0+130 s, the node restored to t0+45 s) forks the history. Run 1 wrote
// segments 0-11 (last writes t0+10 s .. t0+120 s) before it; run 2, started
// by the restore at t0+200 s, wrote two after it; b3 is a backup taken
// after the restore (segment t0+200_000 active).
func TestPlanTimelines(t *testing.T) {
	t.Parallel()
	r := RestoreMarker{RestoredAtMs: t0 + 130_000, Target: at(t0 + 45_000), BaseBackup: "b2"}
	segs := append(run1(12), seg(t0+200_000, t0+210_000, "r2"), seg(t0+200_001, t0+220_000, "r2"))
	withB3 := append(backups(), BaseBackup{Name: "b3", Complete: true, Meta: meta(t0+205_000, t0+200_000)})
	o := PlanOptions{Restores: []RestoreMarker{r}}

	// Before the restore: the abandoned timeline, without run 2's segments.
	p, err := Plan(withB3, segs, at(t0+100_000), o)
	if err != nil {
		t.Fatal(err)
	}
	if p.Base != "b2" || p.Until == nil || p.Since != nil || p.Segments[len(p.Segments)-1].ID != t0+11 {
		t.Errorf("before the restore: base %s, until %v, since %v, last %v", p.Base, p.Until, p.Since,
			p.Segments[len(p.Segments)-1].ID)
	}
	// Up to the newest write before the restore (t0+120 s), not later.
	if _, err := Plan(withB3, segs, at(t0+125_000), o); !errors.Is(err, ErrNotRestorable) ||
		!strings.Contains(err.Error(), "before the point-in-time restore") {
		t.Errorf("between the last old write and the restore: %v", err)
	}
	// After the restore: only b3, and run 2's segments.
	p, err = Plan(withB3, segs, at(t0+215_000), o)
	if err != nil {
		t.Fatal(err)
	}
	if p.Base != "b3" || p.Since == nil || len(p.Segments) != 2 || p.Segments[0].ID != t0+200_000 {
		t.Errorf("after the restore: base %s, segments %v", p.Base, p.Segments)
	}
	// Without a backup since the restore: refused, saying why.
	if _, err := Plan(backups(), segs, at(t0+215_000), o); !errors.Is(err, ErrNotRestorable) ||
		!strings.Contains(err.Error(), "take a backup after a point-in-time restore") {
		t.Errorf("no base since the restore: %v", err)
	}
	// Latest: the newest write since the restore.
	p, err = Plan(withB3, segs, time.Time{}, PlanOptions{Latest: true, Restores: o.Restores})
	if err != nil || p.Base != "b3" || !p.Target.Equal(at(t0+220_000)) {
		t.Errorf("latest: %+v, %v", p, err)
	}
	// Latest with nothing archived since the restore: refused.
	if _, err := Plan(withB3, run1(12), time.Time{}, PlanOptions{Latest: true, Restores: o.Restores}); !errors.Is(err,
		ErrNotRestorable) || !strings.Contains(err.Error(), "no segment was archived since") {
		t.Errorf("latest, nothing since: %v", err)
	}
	// No marker: run 2 is a mere restart; the selection runs into it.
	if p, err := Plan(withB3, segs, at(t0+100_000), PlanOptions{}); err != nil || p.Until != nil ||
		p.Segments[len(p.Segments)-1].ID != t0+200_000 {
		t.Errorf("no marker: %+v, %v", p, err)
	}
}

func TestMarkers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := localBackend(t)
	for _, ms := range []int64{t0 + 2, t0 + 1} {
		if err := WriteMarker(ctx, b, "n1", RestoreMarker{RestoredAtMs: ms, BaseBackup: "b"}); err != nil {
			t.Fatal(err)
		}
	}
	key := MarkerKey("n1", t0+1)
	if key != "n1/commitlogs/restores/1700000000001.json" || strings.Contains(key, "meta") {
		t.Errorf("MarkerKey = %q", key)
	}
	// Not a segment: List and ParseKey leave markers alone.
	if _, _, _, _, err := ParseKey(key); err == nil {
		t.Errorf("ParseKey(%q) accepted a marker", key)
	}
	if _, err := b.Put(ctx, "n1/commitlogs/restores/notes.txt", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	ms, err := ListMarkers(ctx, b, "n1")
	if err != nil || len(ms) != 2 || ms[0].RestoredAtMs != t0+1 || ms[1].RestoredAtMs != t0+2 {
		t.Errorf("ListMarkers = %+v, %v", ms, err)
	}
	if segs, err := List(ctx, b, "n1"); err != nil || len(segs) != 0 {
		t.Errorf("List = %v, %v", segs, err)
	}
	if _, err := b.Put(ctx, MarkerKey("n1", t0+3), strings.NewReader("{")); err != nil {
		t.Fatal(err)
	}
	if _, err := ListMarkers(ctx, b, "n1"); err == nil || !strings.Contains(err.Error(), MarkerKey("n1", t0+3)) {
		t.Errorf("bad marker: %v", err)
	}
}
