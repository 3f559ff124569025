// Package clock is the one context-aware sleep, clock and exponential
// backoff every package waits with.
package clock

import (
	"context"
	"time"
)

// Sleep waits d or until ctx ends; then it returns ctx.Err().
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Clock is a time source that tests can replace.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx ends (then it returns ctx.Err()).
	Sleep(ctx context.Context, d time.Duration) error
}

// System is the real clock.
type System struct{}

// Now returns time.Now().
func (System) Now() time.Time { return time.Now() }

// Sleep waits d or until ctx ends.
func (System) Sleep(ctx context.Context, d time.Duration) error { return Sleep(ctx, d) }

// Backoff is an exponential retry schedule: Attempts tries in all, Initial
// after the first failure, doubled after each further one, at most Max.
type Backoff struct {
	Attempts int
	Initial  time.Duration
	Max      time.Duration
}

// Delay returns the wait after failed try number n (1-based).
func (b Backoff) Delay(n int) time.Duration {
	d := b.Initial
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}
