package restore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// A gate holds a restore at a step until a cluster orchestrator lets it
// go: restore-cluster downloads and checks on every node while every node
// still runs, then lets them all stop and place the files, then lets
// them all start, seeds first. Options.Gate is called before the stop
// stage with GateStop and before the start stage with GateStart; an error
// fails the restore there (before the stop: nothing was changed; before
// the start: the node is rolled back to its data and started again).
const (
	GateStop  = "stop"
	GateStart = "start"
	// GateAbort, present in the gate directory, makes every wait fail.
	GateAbort = "abort"
	// GateMarker starts the line a waiting restore prints:
	// "medusa-gate: ready <step> <dir>"; the orchestrator creates
	// <dir>/<step> (or <dir>/abort) to answer.
	GateMarker = "medusa-gate: ready"
	// GateFailed is the step a restore reports, without waiting, when it
	// failed after Cassandra was stopped and rolls back: the orchestrator
	// then aborts the nodes held at the start gate at once, so that they
	// roll back and start too (a non-seed node's rollback waits for a
	// seed, --seeds, which would otherwise be held until this node ends).
	GateFailed = "failed"
	// GateFailedMarker starts the line of that report:
	// "medusa-gate: failed <dir>".
	GateFailedMarker = "medusa-gate: failed"
)

// ErrGateAborted: the orchestrator aborted the restore at a gate.
var ErrGateAborted = errors.New("aborted by restore-cluster (another node failed)")

// FileGate is a gate answered through files in dir: it prints
// GateMarker lines to w, then polls every poll until dir/<step> or
// dir/abort exists, at most timeout (then it fails, as an abort). Step
// GateFailed prints the GateFailedMarker line and returns at once.
func FileGate(dir string, w io.Writer, timeout, poll time.Duration, sleep func(context.Context, time.Duration) error) func(ctx context.Context, step string) error {
	return func(ctx context.Context, step string) error {
		if step == GateFailed {
			fmt.Fprintf(w, "%s %s\n", GateFailedMarker, dir)
			return nil
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("gate: %w", err)
		}
		fmt.Fprintf(w, "%s %s %s\n", GateMarker, step, dir)
		deadline := time.Now().Add(timeout)
		for {
			if exists(filepath.Join(dir, GateAbort)) {
				return ErrGateAborted
			}
			if exists(filepath.Join(dir, step)) {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("gate %s: restore-cluster did not answer within %s: gave up", step, timeout)
			}
			if err := sleep(ctx, poll); err != nil {
				return err
			}
		}
	}
}

// OpenGate answers a waiting FileGate: it creates dir/step (step may be
// GateAbort).
func OpenGate(dir, step string) error {
	if step != GateStop && step != GateStart && step != GateAbort {
		return fmt.Errorf("gate step %q: use %s, %s or %s", step, GateStop, GateStart, GateAbort)
	}
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("gate: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, step), nil, 0o644)
}
