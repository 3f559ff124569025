package restore

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"
)

// flakyLoader fails its first loads with errs, then succeeds.
type flakyLoader struct {
	errs  []error
	calls int
}

func (l *flakyLoader) Load(context.Context, string) error {
	l.calls++
	if l.calls <= len(l.errs) {
		return l.errs[l.calls-1]
	}
	return nil
}

func TestLoadTableRetriesStreamingOnce(t *testing.T) {
	stream := errors.New("sstableloader: exit status 1: ERROR Streaming error occurred")
	for _, c := range []struct {
		name      string
		errs      []error
		wantCalls int
		wantErr   bool
		wantSleep time.Duration
	}{
		{"ok", nil, 1, false, 0},
		{"streaming error then ok", []error{stream}, 2, false, loadRetryDelay},
		{"streaming error twice", []error{stream, stream}, 2, true, loadRetryDelay},
		{"unknown column: no retry", []error{errors.New("Unknown column gone during deserialization")}, 1, true, 0},
		{"missing table: no retry", []error{errors.New("sstableloader exited 0 but did not load every file")}, 1, true, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := &flakyLoader{errs: c.errs}
			var slept time.Duration
			d := &Deps{Loader: l, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
				Sleep: func(_ context.Context, d time.Duration) error { slept += d; return nil }}
			err := loadTable(t.Context(), d, "ks.t", "/staging/ks/t")
			if (err != nil) != c.wantErr || l.calls != c.wantCalls || slept != c.wantSleep {
				t.Errorf("err %v, %d loads, slept %s; want error %v, %d loads, slept %s",
					err, l.calls, slept, c.wantErr, c.wantCalls, c.wantSleep)
			}
		})
	}
}
