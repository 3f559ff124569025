package restore

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestGatesHoldStopAndStart(t *testing.T) {
	f := newScenario(t)
	o := f.options()
	o.Gate = func(_ context.Context, step string) error { f.node.record("gate " + step); return nil }
	if _, err := f.run(o); err != nil {
		t.Fatal(err)
	}
	if got := f.node.Calls(); !slices.Equal(got, []string{"gate stop", "drain", "stop", "gate start", "start"}) {
		t.Errorf("calls %v", got)
	}
	f.assertClean()
}

func TestGateAbortBeforeStopChangesNothing(t *testing.T) {
	f := newScenario(t)
	before := f.nodeTree()
	o := f.options()
	o.Gate = func(context.Context, string) error { return ErrGateAborted }
	_, err := f.run(o)
	var se *StageError
	if !errors.As(err, &se) || se.Stage != StageStop || se.NodeTouched || !errors.Is(err, ErrGateAborted) {
		t.Fatalf("err = %v", err)
	}
	if got := f.node.Calls(); len(got) != 0 {
		t.Errorf("node calls %v", got)
	}
	if d := diffTrees(before, f.nodeTree()); len(d) > 0 {
		t.Errorf("node changed: %v", d)
	}
}

func TestGateAbortBeforeStartRollsBack(t *testing.T) {
	f := newScenario(t)
	before := f.nodeTree()
	o := f.options()
	o.Gate = func(_ context.Context, step string) error {
		if step == GateStart {
			return ErrGateAborted
		}
		return nil
	}
	_, err := f.run(o)
	var se *StageError
	if !errors.As(err, &se) || se.Stage != StageStart || !se.RolledBack {
		t.Fatalf("err = %v", err)
	}
	if got := f.node.Calls(); !slices.Equal(got, []string{"drain", "stop", "start"}) {
		t.Errorf("node calls %v", got)
	}
	if d := diffTrees(before, f.nodeTree()); len(d) > 0 {
		t.Errorf("node not as before: %v", d)
	}
}

func TestFileGate(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "gate")
	var out bytes.Buffer
	sleeps := 0
	gate := FileGate(dir, &out, time.Hour, time.Millisecond, func(context.Context, time.Duration) error {
		if sleeps++; sleeps == 3 {
			if err := OpenGate(dir, GateStop); err != nil {
				t.Error(err)
			}
		}
		return nil
	})
	if err := gate(t.Context(), GateStop); err != nil {
		t.Fatal(err)
	}
	if want := GateMarker + " stop " + dir + "\n"; out.String() != want {
		t.Errorf("marker %q, want %q", out.String(), want)
	}
	if err := OpenGate(dir, GateAbort); err != nil {
		t.Fatal(err)
	}
	if err := gate(t.Context(), GateStart); !errors.Is(err, ErrGateAborted) {
		t.Errorf("abort: %v", err)
	}
	expired := FileGate(t.TempDir(), &out, -time.Second, time.Millisecond, func(context.Context, time.Duration) error { return nil })
	if err := expired(t.Context(), GateStart); err == nil || !strings.Contains(err.Error(), "did not answer") {
		t.Errorf("timeout: %v", err)
	}
	if err := OpenGate(dir, "go"); err == nil {
		t.Error("unknown step accepted")
	}
}

// A gated restore that fails after the stop reports it (GateFailed)
// before rolling back, and the rollback waits for a seed before its start.
func TestGateFailureAfterStopReportsAndWaitsForSeed(t *testing.T) {
	f := newScenario(t)
	before := f.nodeTree()
	o := f.options()
	o.Seeds = []string{"seed-up"}
	o.Gate = func(_ context.Context, step string) error {
		f.node.record("gate " + step)
		if step == GateStart {
			return ErrGateAborted
		}
		return nil
	}
	_, err := f.run(o)
	var se *StageError
	if !errors.As(err, &se) || se.Stage != StageStart || !se.RolledBack {
		t.Fatalf("err = %v", err)
	}
	want := []string{"gate stop", "drain", "stop", "gate start", "gate failed", "seed seed-up", "start"}
	if got := f.node.Calls(); !slices.Equal(got, want) {
		t.Errorf("calls %v, want %v", got, want)
	}
	if d := diffTrees(before, f.nodeTree()); len(d) > 0 {
		t.Errorf("node not as before: %v", d)
	}
}

func TestFileGateFailedReportsWithoutWaiting(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "gate")
	var out bytes.Buffer
	gate := FileGate(dir, &out, time.Hour, time.Millisecond, func(context.Context, time.Duration) error {
		t.Error("waited")
		return nil
	})
	if err := gate(t.Context(), GateFailed); err != nil {
		t.Fatal(err)
	}
	if want := GateFailedMarker + " " + dir + "\n"; out.String() != want {
		t.Errorf("marker %q, want %q", out.String(), want)
	}
}
