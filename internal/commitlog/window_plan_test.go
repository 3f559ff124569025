package commitlog

import (
	"errors"
	"testing"
	"time"
)

// TestWindowAgreesWithPlan: every span of the recoverable window starts at
// the first time the planner accepts (the end of a base's snapshot), and
// just before it the planner refuses. The last span ends at a time the
// planner accepts; a span that ends at a gap is restorable up to its end
// less --pitr-skew.
func TestWindowAgreesWithPlan(t *testing.T) {
	cases := map[string][]SegmentInfo{
		"contiguous": run1(12),
		"gap":        without(run1(12), t0+2), // b1 reaches segment 1 only; b2 starts after the gap
	}
	for name, segs := range cases {
		t.Run(name, func(t *testing.T) {
			var bases []WindowBase
			for _, b := range backups() {
				if b.Complete && b.Meta != nil {
					bases = append(bases, WindowBase{Backup: b.Name, Meta: *b.Meta})
				}
			}
			w := ComputeWindow("n1", bases, segs)
			if len(w.Spans) == 0 {
				t.Fatalf("no window: %s", w.Why)
			}
			o := PlanOptions{Skew: time.Minute}
			for i, s := range w.Spans {
				// A span that ends at a gap: the planner selects through the
				// first segment written after the target plus the skew, so
				// there it takes a skew below the distance to the gap.
				end, eo := s.To, o
				if i < len(w.Spans)-1 {
					end, eo = s.To.Add(-2*time.Millisecond), PlanOptions{Skew: time.Millisecond}
					if _, err := Plan(backups(), segs, s.To, o); !errors.Is(err, ErrNotRestorable) {
						t.Errorf("span %d: Plan(%s), its end before a gap with the default skew: %v, want "+
							"ErrNotRestorable", i, fmtTime(s.To), err)
					}
				}
				if _, err := Plan(backups(), segs, s.From, eo); err != nil {
					t.Errorf("span %d (%s): Plan(%s), the span's start (skew %s): %v", i, s.Base, fmtTime(s.From),
						eo.Skew, err)
				}
				if _, err := Plan(backups(), segs, end, eo); err != nil {
					t.Errorf("span %d (%s): Plan(%s) near the span's end (skew %s): %v", i, s.Base, fmtTime(end),
						eo.Skew, err)
				}
				before := s.From.Add(-time.Microsecond)
				if _, err := Plan(backups(), segs, before, o); !errors.Is(err, ErrNotRestorable) {
					t.Errorf("span %d: Plan(%s), just before the span: %v, want ErrNotRestorable", i, fmtTime(before), err)
				}
			}
			if name == "gap" && len(w.Spans) != 2 {
				t.Errorf("spans %+v, want two around the gap", w.Spans)
			}
		})
	}
}
