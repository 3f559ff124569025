package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/cassandra"
)

// failingNode fails every schema request with err.
type failingNode struct {
	*fakeNode
	err error
}

func (n failingNode) SchemaCQL(context.Context) (string, error) { return "", n.err }

// TestCQLRetryBudget: the CQL requests are retried within Options.CQLRetry,
// a node that is down for good gives up after cassandra.DownGrace, and the
// first warning says what is waited for and how long at most.
func TestCQLRetryBudget(t *testing.T) {
	down := fmt.Errorf("cql connect to 127.0.0.1:9042: %w: nothing listens", cassandra.ErrNodeDown)
	tests := []struct {
		name       string
		err        error
		budget     time.Duration
		wantSleeps []time.Duration
		wantAtMost string
		wantErr    string
	}{
		{"budget caps the waits", errors.New("i/o timeout"), time.Minute,
			[]time.Duration{10 * time.Second, 20 * time.Second, 30 * time.Second}, "at_most=1m0s", "cql_retry_seconds"},
		{"node down: grace only", down, 10 * time.Minute,
			[]time.Duration{10 * time.Second, 20 * time.Second}, "at_most=30s", "nothing listens"},
		{"node down, shorter budget", down, 15 * time.Second,
			[]time.Duration{10 * time.Second, 5 * time.Second}, "at_most=15s", "nothing listens"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, "")
			var logs bytes.Buffer
			d := e.deps()
			d.Node = failingNode{e.node, tt.err}
			d.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
			o := e.opts("b1", Full)
			o.CQLRetry = tt.budget
			_, err := Run(t.Context(), d, o)
			if err == nil || stageOf(t, err) != StageMeta || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Run = %v, want a meta failure saying %q", err, tt.wantErr)
			}
			if fmt.Sprint(e.clock.sleeps) != fmt.Sprint(tt.wantSleeps) {
				t.Fatalf("slept %v, want %v", e.clock.sleeps, tt.wantSleeps)
			}
			first, _, _ := strings.Cut(logs.String(), "\n")
			if !strings.Contains(first, "Waiting for Cassandra") || !strings.Contains(first, tt.wantAtMost) {
				t.Fatalf("first warning = %q, want what is waited for and %s", first, tt.wantAtMost)
			}
		})
	}
}

// TestCQLDownGraceNone: with a negative DownGrace (backup-cluster's
// --fail-fast-if-down) a node that is down fails at the first try, while
// other failures are still retried.
func TestCQLDownGraceNone(t *testing.T) {
	down := fmt.Errorf("cql connect to 127.0.0.1:9042: %w: nothing listens", cassandra.ErrNodeDown)
	e := newEnv(t, "")
	d := e.deps()
	d.Node = failingNode{e.node, down}
	o := e.opts("b1", Full)
	o.DownGrace = -1
	_, err := Run(t.Context(), d, o)
	if err == nil || stageOf(t, err) != StageMeta || !errors.Is(err, cassandra.ErrNodeDown) {
		t.Fatalf("Run = %v, want a meta failure with ErrNodeDown", err)
	}
	if len(e.clock.sleeps) != 0 {
		t.Fatalf("slept %v, want no wait", e.clock.sleeps)
	}
}
