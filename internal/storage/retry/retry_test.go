package retry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/clock"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/local"
	"github.com/medusa-go/medusa/internal/storage/storagetest"
)

// sleeps records the backoff delays instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.d)
}

// maxJitter makes the backoff deterministic: always the cap minus 1ns.
func maxJitter(n int64) int64 { return n - 1 }

// fixture is a local backend behind Faulty behind the retry decorator.
type fixture struct {
	faulty *storagetest.Faulty
	sleeps *sleeps
	b      storage.Backend
	data   []byte // content of key "obj"
}

func newFixture(t *testing.T, p Policy) *fixture {
	t.Helper()
	lb, err := local.New(local.Options{BasePath: t.TempDir(), Bucket: "b", Create: true})
	if err != nil {
		t.Fatal(err)
	}
	src := storagetest.Pattern{N: 1 << 20, Seed: 7}
	if _, err := lb.Put(t.Context(), "obj", src); err != nil {
		t.Fatal(err)
	}
	f := &fixture{faulty: storagetest.NewFaulty(lb), sleeps: &sleeps{}, data: src.Bytes()}
	if p.Sleep == nil {
		p.Sleep = f.sleeps.sleep
	}
	if p.Jitter == nil {
		p.Jitter = maxJitter
	}
	f.b = New(f.faulty, p)
	return f
}

// ops runs each operation of a Backend once on key "obj".
var ops = []struct {
	op  storagetest.Op
	run func(ctx context.Context, b storage.Backend) error
}{
	{storagetest.OpPut, func(ctx context.Context, b storage.Backend) error {
		_, err := b.Put(ctx, "obj", strings.NewReader("new content"))
		return err
	}},
	{storagetest.OpGet, func(ctx context.Context, b storage.Backend) error {
		rc, _, err := b.Get(ctx, "obj", 0, 10)
		if err == nil {
			_, err = io.ReadAll(rc)
			rc.Close()
		}
		return err
	}},
	{storagetest.OpStat, func(ctx context.Context, b storage.Backend) error {
		_, err := b.Stat(ctx, "obj")
		return err
	}},
	{storagetest.OpList, func(ctx context.Context, b storage.Backend) error {
		for _, err := range b.List(ctx, "") {
			if err != nil {
				return err
			}
		}
		return nil
	}},
	{storagetest.OpDelete, func(ctx context.Context, b storage.Backend) error { return b.Delete(ctx, "obj") }},
	{storagetest.OpDeleteMany, func(ctx context.Context, b storage.Backend) error {
		return b.DeleteMany(ctx, []string{"obj", "missing"})
	}},
}

func TestTransientErrorsAreRetried(t *testing.T) {
	for _, o := range ops {
		for _, injected := range []error{storagetest.ErrSlowDown, storagetest.ErrConnReset} {
			t.Run(fmt.Sprintf("%s/%v", o.op, injected), func(t *testing.T) {
				f := newFixture(t, Policy{BaseDelay: time.Second, MaxDelay: time.Minute})
				f.faulty.Inject(storagetest.Fault{Op: o.op, Err: injected, Times: 2})
				if err := o.run(t.Context(), f.b); err != nil {
					t.Fatalf("%s after 2 transient failures: %v", o.op, err)
				}
				if got := f.faulty.Calls(o.op); got != 3 {
					t.Errorf("%s called %d times, want 3", o.op, got)
				}
				want := []time.Duration{time.Second - 1, 2*time.Second - 1}
				if !slices.Equal(f.sleeps.d, want) {
					t.Errorf("backoff delays %v, want %v", f.sleeps.d, want)
				}
			})
		}
	}
}

func TestPermanentErrorsAreNotRetried(t *testing.T) {
	transientBucket := storage.Transient(fmt.Errorf("odd backend: %w", storage.ErrBucketNotExist))
	plain := errors.New("400 InvalidRequest")
	for _, o := range ops {
		for _, injected := range []error{storagetest.ErrDenied, transientBucket, plain} {
			t.Run(fmt.Sprintf("%s/%v", o.op, injected), func(t *testing.T) {
				f := newFixture(t, Policy{})
				f.faulty.Inject(storagetest.Fault{Op: o.op, Err: injected})
				err := o.run(t.Context(), f.b)
				if !errors.Is(err, injected) {
					t.Errorf("%s error = %v, want %v", o.op, err, injected)
				}
				if got := f.faulty.Calls(o.op); got != 1 {
					t.Errorf("%s called %d times, want 1", o.op, got)
				}
				if n := f.sleeps.count(); n != 0 {
					t.Errorf("slept %d times before failing", n)
				}
			})
		}
	}
	t.Run("missing key", func(t *testing.T) {
		f := newFixture(t, Policy{})
		if _, err := f.b.Stat(t.Context(), "missing"); !errors.Is(err, storage.ErrNotExist) {
			t.Errorf("Stat error = %v, want ErrNotExist", err)
		}
		if _, _, err := f.b.Get(t.Context(), "missing", 0, -1); !errors.Is(err, storage.ErrNotExist) {
			t.Errorf("Get error = %v, want ErrNotExist", err)
		}
		if f.faulty.Calls(storagetest.OpStat) != 1 || f.faulty.Calls(storagetest.OpGet) != 1 {
			t.Errorf("missing key retried: %d stats, %d gets", f.faulty.Calls(storagetest.OpStat), f.faulty.Calls(storagetest.OpGet))
		}
	})
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	for _, o := range ops {
		t.Run(string(o.op), func(t *testing.T) {
			f := newFixture(t, Policy{MaxAttempts: 4})
			f.faulty.Inject(storagetest.Fault{Op: o.op, Err: storagetest.ErrSlowDown})
			err := o.run(t.Context(), f.b)
			if !errors.Is(err, storagetest.ErrSlowDown) || !strings.Contains(err.Error(), "gave up after 4 attempts") {
				t.Errorf("error = %v, want the injected error after 4 attempts", err)
			}
			if got := f.faulty.Calls(o.op); got != 4 {
				t.Errorf("%s called %d times, want 4", o.op, got)
			}
			if n := f.sleeps.count(); n != 3 {
				t.Errorf("slept %d times, want 3", n)
			}
		})
	}
}

// cancelOnLog is a slog handler that cancels a context when a retry is
// logged, i.e. just before the backoff sleep starts.
type cancelOnLog struct {
	slog.Handler
	cancel context.CancelFunc
}

func (h cancelOnLog) Enabled(context.Context, slog.Level) bool { return true }

func (h cancelOnLog) Handle(ctx context.Context, r slog.Record) error {
	h.cancel()
	return nil
}

func TestCancellationStopsRetrying(t *testing.T) {
	for _, o := range ops {
		t.Run(string(o.op)+"/during real backoff", func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			// An hour-long real sleep: the test only finishes if the
			// sleep ends at cancellation.
			f := newFixture(t, Policy{BaseDelay: time.Hour, MaxDelay: time.Hour, Sleep: clock.Sleep,
				Logger: slog.New(cancelOnLog{Handler: slog.DiscardHandler, cancel: cancel})})
			f.faulty.Inject(storagetest.Fault{Op: o.op, Err: storagetest.ErrSlowDown})
			err := o.run(ctx, f.b)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("error = %v, want context.Canceled", err)
			}
			if got := f.faulty.Calls(o.op); got != 1 {
				t.Errorf("%s called %d times after cancellation, want 1", o.op, got)
			}
		})
		t.Run(string(o.op)+"/already cancelled", func(t *testing.T) {
			f := newFixture(t, Policy{})
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			f.faulty.Inject(storagetest.Fault{Op: o.op, Err: storagetest.ErrSlowDown})
			if err := o.run(ctx, f.b); err == nil {
				t.Error("operation with a cancelled context succeeded")
			}
			if got := f.faulty.Calls(o.op); got > 1 {
				t.Errorf("%s called %d times with a cancelled context", o.op, got)
			}
			if n := f.sleeps.count(); n != 0 {
				t.Errorf("slept %d times with a cancelled context", n)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	r := &backend{p: Policy{BaseDelay: time.Second, MaxDelay: 5 * time.Second, Jitter: maxJitter}.withDefaults()}
	var got []time.Duration
	for attempt := 1; attempt <= 6; attempt++ {
		got = append(got, r.delay(attempt)+1)
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second}
	if !slices.Equal(got, want) {
		t.Errorf("delay caps %v, want %v", got, want)
	}
	if d := r.delay(200); d+1 != 5*time.Second {
		t.Errorf("delay(200) = %v, want the 5s cap", d)
	}
	r = &backend{p: Policy{BaseDelay: time.Second, MaxDelay: 5 * time.Second}.withDefaults()}
	for range 1000 {
		if d := r.delay(3); d < 0 || d >= 4*time.Second {
			t.Fatalf("full jitter delay %v outside [0, 4s)", d)
		}
	}
}

func TestRetryIsLogged(t *testing.T) {
	var buf bytes.Buffer
	f := newFixture(t, Policy{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	f.faulty.Inject(storagetest.Fault{Op: storagetest.OpStat, Err: storagetest.ErrSlowDown, Times: 1})
	if _, err := f.b.Stat(t.Context(), "obj"); err != nil {
		t.Fatal(err)
	}
	line := buf.String()
	for _, want := range []string{"level=WARN", "op=stat", "key=obj", "attempt=1", "SlowDown"} {
		if !strings.Contains(line, want) {
			t.Errorf("log %q lacks %q", line, want)
		}
	}
}
