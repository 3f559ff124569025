package limit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/local"
	"github.com/medusa-go/medusa/internal/storage/retry"
	"github.com/medusa-go/medusa/internal/storage/storagetest"
)

// virtualLimiter drives a real token bucket on a virtual clock: WaitN
// never sleeps, it moves the clock by the delay the bucket asks for. It
// also counts the tokens taken.
type virtualLimiter struct {
	mu     sync.Mutex
	l      *rate.Limiter
	now    time.Time
	start  time.Time
	tokens int64
	maxN   int
	onWait func(total int64) // called after each wait, outside the lock
}

// newVirtual starts a limiter of bps bytes per second on the virtual clock.
func newVirtual(bps int64) *virtualLimiter {
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	return &virtualLimiter{l: newLimiterAt(bps, start), now: start, start: start}
}

// pause moves the virtual clock by d without moving bytes.
func (v *virtualLimiter) pause(d time.Duration) {
	v.mu.Lock()
	v.now = v.now.Add(d)
	v.mu.Unlock()
}

func (v *virtualLimiter) WaitN(ctx context.Context, n int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	v.mu.Lock()
	if n > v.l.Burst() {
		v.mu.Unlock()
		return fmt.Errorf("WaitN(%d) exceeds the burst %d", n, v.l.Burst())
	}
	r := v.l.ReserveN(v.now, n)
	v.now = v.now.Add(r.DelayFrom(v.now))
	v.tokens += int64(n)
	v.maxN = max(v.maxN, n)
	total := v.tokens
	v.mu.Unlock()
	if v.onWait != nil {
		v.onWait(total)
	}
	return nil
}

func (v *virtualLimiter) Burst() int { return v.l.Burst() }

func (v *virtualLimiter) elapsed() time.Duration { return v.now.Sub(v.start) }

func newLocal(t *testing.T) storage.Backend {
	t.Helper()
	b, err := local.New(local.Options{BasePath: t.TempDir(), Bucket: "b", Create: true})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNewLimiter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		bps       int64
		wantNil   bool
		wantBurst int
	}{
		{0, true, 0},
		{-5, true, 0},
		{1000, false, 1000},
		{50_000_000, false, 50_000_000},
		{1 << 40, false, math.MaxInt32},
	}
	for _, tc := range tests {
		l := NewLimiter(tc.bps)
		if (l == nil) != tc.wantNil {
			t.Fatalf("NewLimiter(%d) = %v, want nil %v", tc.bps, l, tc.wantNil)
		}
		if l != nil && (l.Burst() != tc.wantBurst || l.Limit() != rate.Limit(tc.bps)) {
			t.Errorf("NewLimiter(%d): limit %v burst %d, want %d and %d", tc.bps, l.Limit(), l.Burst(), tc.bps, tc.wantBurst)
		}
	}
	b := newLocal(t)
	for _, l := range []Limiter{nil, NewLimiter(0)} {
		if Bandwidth(b, l) != b {
			t.Errorf("Bandwidth with limiter %v did not return the backend unchanged", l)
		}
	}
}

// TestBandwidthOneBucket moves bytes up and down through two decorated
// backends sharing one limiter and checks, on the virtual clock, that
// every byte was paid for once at the configured rate.
func TestBandwidthOneBucket(t *testing.T) {
	t.Parallel()
	const bps = 1 << 20
	v := newVirtual(bps)
	up, down := Bandwidth(newLocal(t), v), Bandwidth(newLocal(t), v)
	src := storagetest.Pattern{N: 3 << 20, Seed: 1}
	var moved int64
	steps := []struct {
		name string
		run  func(t *testing.T) int64
	}{
		{"put", func(t *testing.T) int64 {
			if _, err := up.Put(t.Context(), "k", src); err != nil {
				t.Fatal(err)
			}
			if _, err := down.Put(t.Context(), "k", src); err != nil {
				t.Fatal(err)
			}
			return 2 * src.N
		}},
		{"get whole", func(t *testing.T) int64 { return readAll(t, down, "k", 0, -1) }},
		{"get range", func(t *testing.T) int64 { return readAll(t, up, "k", 1000, 700_000) }},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			moved += st.run(t)
			if v.tokens != moved {
				t.Errorf("tokens taken %d, bytes moved %d", v.tokens, moved)
			}
			// The bucket starts empty and fills at bps.
			want := time.Duration(float64(moved) / bps * float64(time.Second))
			if d := (v.elapsed() - want).Abs(); d > time.Millisecond {
				t.Errorf("virtual time %v, want %v for %d bytes at %d B/s", v.elapsed(), want, moved, bps)
			}
		})
	}
	if v.maxN > MaxPiece {
		t.Errorf("one wait asked for %d bytes, more than a piece %d", v.maxN, MaxPiece)
	}
}

func readAll(t *testing.T, b storage.Backend, key string, off, n int64) int64 {
	t.Helper()
	rc, _, err := b.Get(t.Context(), key, off, n)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.Copy(io.Discard, rc)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestBandwidthCancellation(t *testing.T) {
	t.Parallel()
	t.Run("put", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		v := newVirtual(1 << 20)
		v.onWait = func(total int64) {
			if total >= 1<<20 {
				cancel()
			}
		}
		b := Bandwidth(newLocal(t), v)
		_, err := b.Put(ctx, "k", storagetest.Pattern{N: 4 << 20})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Put error = %v, want context.Canceled", err)
		}
		if _, err := b.Stat(t.Context(), "k"); !errors.Is(err, storage.ErrNotExist) {
			t.Errorf("cancelled Put left an object (Stat: %v)", err)
		}
	})
	t.Run("get with a real limiter", func(t *testing.T) {
		lb := newLocal(t)
		if _, err := lb.Put(t.Context(), "k", storagetest.Pattern{N: 100}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		// One byte per second, burst 1, starting empty: the first byte
		// comes after a second; after it, only cancellation can end the
		// wait quickly.
		rc, _, err := Bandwidth(lb, NewLimiter(1)).Get(ctx, "k", 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		buf := make([]byte, 10)
		if n, err := rc.Read(buf); n != 1 || err != nil {
			t.Fatalf("first read = %d, %v; want 1 byte (the burst)", n, err)
		}
		cancel()
		if _, err := rc.Read(buf); !errors.Is(err, context.Canceled) {
			t.Errorf("read after cancel: %v, want context.Canceled", err)
		}
	})
}

// TestBandwidthConformance: the decorator keeps the storage contract.
func TestBandwidthConformance(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	l := rate.NewLimiter(rate.Inf, MaxPiece)
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		b, err := local.New(local.Options{BasePath: base, Bucket: "b", Create: true})
		if err != nil {
			t.Fatal(err)
		}
		return Concurrency(Bandwidth(b, l), 4)
	}, storagetest.Capabilities{ExpectedHash: storagetest.HexMD5, StatWithoutHash: true, LargeSize: 16 << 20,
		Resume: func(b storage.Backend) storage.Backend {
			return retry.New(b, retry.Policy{BaseDelay: time.Millisecond})
		},
	})
}

// TestBandwidthPausesMadeUp: a pause in the transfers (a multipart upload
// being completed) is made up for with at most one second of the rate,
// and the bytes moved never exceed the rate times the time elapsed since
// the start.
func TestBandwidthPausesMadeUp(t *testing.T) {
	t.Parallel()
	const bps = 1 << 20
	v := newVirtual(bps)
	b := Bandwidth(newLocal(t), v)
	var moved int64
	v.onWait = func(total int64) {
		// Called with v.now already moved past this wait.
		v.mu.Lock()
		allowed := int64(v.now.Sub(v.start).Seconds()*bps) + 1
		v.mu.Unlock()
		if total > allowed {
			t.Errorf("%d bytes moved after %v: more than the rate allows (%d)", total, v.elapsed(), allowed)
		}
	}
	put := func(n int64) {
		t.Helper()
		if _, err := b.Put(t.Context(), "k", storagetest.Pattern{N: n, Seed: 5}); err != nil {
			t.Fatal(err)
		}
		moved += n
	}
	put(2 << 20) // 2 s at the rate
	if got := v.elapsed(); (got - 2*time.Second).Abs() > time.Millisecond {
		t.Fatalf("2 MiB took %v on the virtual clock, want 2s", got)
	}
	v.pause(500 * time.Millisecond) // a pause of half a second ...
	put(1 << 20)                    // ... is made up: 1 MiB more takes 0.5 s, not 1 s
	if got, want := v.elapsed(), 3*time.Second; (got - want).Abs() > time.Millisecond {
		t.Errorf("after a 0.5 s pause, 1 MiB ended at %v, want %v (the pause made up)", got, want)
	}
	v.pause(5 * time.Second) // a long pause is made up for one second only
	put(2 << 20)
	if got, want := v.elapsed(), 9*time.Second; (got - want).Abs() > time.Millisecond {
		t.Errorf("after a 5 s pause, 2 MiB ended at %v, want %v (1 s free, 1 s at the rate)", got, want)
	}
}
