package retry

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/medusa-go/medusa/internal/clock"
	"github.com/medusa-go/medusa/internal/storage"
)

// Policy configures the retries. Zero fields take the defaults.
type Policy struct {
	// MaxAttempts is the number of tries of one operation, the first
	// included; default 5. 1 disables retries.
	MaxAttempts int
	// NoAnswerAttempts caps the tries of an operation whose store sent
	// nothing for its timeout (storage.ErrNoAnswer); default 2. Each such
	// try already waited the whole timeout.
	NoAnswerAttempts int
	// BaseDelay is the backoff cap before the second try; default 2s.
	BaseDelay time.Duration
	// MaxDelay caps the backoff; default 60s.
	MaxDelay time.Duration
	// Sleep waits d or until ctx is done, returning ctx's error then.
	// Default: a timer. Tests inject one that records the delays.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a random number in [0, n); default math/rand/v2.
	Jitter func(n int64) int64
	// Logger receives one Warn record per retry; default: discarded.
	Logger *slog.Logger
}

func (p Policy) withDefaults() Policy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 5
	}
	if p.NoAnswerAttempts <= 0 {
		p.NoAnswerAttempts = 2
	}
	p.NoAnswerAttempts = min(p.NoAnswerAttempts, p.MaxAttempts)
	if p.BaseDelay <= 0 {
		p.BaseDelay = 2 * time.Second
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 60 * time.Second
	}
	if p.Sleep == nil {
		p.Sleep = clock.Sleep
	}
	if p.Jitter == nil {
		p.Jitter = rand.Int64N
	}
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	return p
}

// backend is the retrying decorator.
type backend struct {
	b storage.Backend
	p Policy
}

// New wraps b so that its operations are retried according to p.
func New(b storage.Backend, p Policy) storage.Backend {
	return &backend{b: b, p: p.withDefaults()}
}

// retryable reports whether err is worth another try under ctx.
func retryable(ctx context.Context, err error) bool {
	return ctx.Err() == nil && storage.IsTransient(err) && !permanent(err)
}

// permanent reports whether err is one of the answers retrying cannot change.
func permanent(err error) bool {
	return errors.Is(err, storage.ErrNotExist) || errors.Is(err, storage.ErrAccessDenied) ||
		errors.Is(err, storage.ErrBucketNotExist) || errors.Is(err, storage.ErrChanged)
}

// delay is the backoff before try attempt+1: full jitter below the cap.
func (r *backend) delay(attempt int) time.Duration {
	limit := r.p.MaxDelay
	if attempt-1 < 62 {
		if d := r.p.BaseDelay << (attempt - 1); d > 0 && d < limit {
			limit = d
		}
	}
	return time.Duration(r.p.Jitter(int64(limit)))
}

// backoff logs a failed try and sleeps before the next. It returns an
// error matching the context's when the sleep was cut short.
func (r *backend) backoff(ctx context.Context, op, key string, attempt int, cause error) error {
	d := r.delay(attempt)
	r.p.Logger.LogAttrs(ctx, slog.LevelWarn, "storage operation failed, retrying",
		slog.String("op", op), slog.String("key", key), slog.Int("attempt", attempt),
		slog.Int("max_attempts", r.maxAttempts(cause)), slog.Duration("delay", d),
		slog.String("error", cause.Error()))
	if err := r.p.Sleep(ctx, d); err != nil {
		return fmt.Errorf("%s %s: retry abandoned: %w (last error: %v)", op, key, err, cause)
	}
	return nil
}

// maxAttempts is how many tries an operation failing with err gets.
func (r *backend) maxAttempts(err error) int {
	if errors.Is(err, storage.ErrNoAnswer) {
		return r.p.NoAnswerAttempts
	}
	return r.p.MaxAttempts
}

// exhausted reports whether no try is left after attempt failed with err.
func (r *backend) exhausted(attempt int, err error) bool {
	return attempt >= r.maxAttempts(err)
}

// do runs fn until it succeeds, fails permanently or the attempts run out.
func (r *backend) do(ctx context.Context, op, key string, fn func() error) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || !retryable(ctx, err) {
			return err
		}
		if r.exhausted(attempt, err) {
			return fmt.Errorf("%w (gave up after %d attempts)", err, attempt)
		}
		if err := r.backoff(ctx, op, key, attempt, err); err != nil {
			return err
		}
	}
}

// Put implements storage.Backend; the Source is re-read on each try.
func (r *backend) Put(ctx context.Context, key string, src storage.Source) (storage.ObjectInfo, error) {
	var info storage.ObjectInfo
	err := r.do(ctx, "put", key, func() (err error) {
		info, err = r.b.Put(ctx, key, src)
		return err
	})
	return info, err
}

// Stat implements storage.Backend.
func (r *backend) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	var info storage.ObjectInfo
	err := r.do(ctx, "stat", key, func() (err error) {
		info, err = r.b.Stat(ctx, key)
		return err
	})
	return info, err
}

// Delete implements storage.Backend.
func (r *backend) Delete(ctx context.Context, key string) error {
	return r.do(ctx, "delete", key, func() error { return r.b.Delete(ctx, key) })
}

// DeleteMany implements storage.Backend.
func (r *backend) DeleteMany(ctx context.Context, keys []string) error {
	what := fmt.Sprintf("%d keys", len(keys))
	return r.do(ctx, "delete-many", what, func() error { return r.b.DeleteMany(ctx, keys) })
}

// Close implements storage.Backend.
func (r *backend) Close() error { return r.b.Close() }

// List implements storage.Backend: a listing that fails transiently is
// restarted and the keys already yielded are skipped.
func (r *backend) List(ctx context.Context, prefix string) iter.Seq2[storage.ObjectInfo, error] {
	return func(yield func(storage.ObjectInfo, error) bool) {
		last, started := "", false
		for fails := 0; ; {
			var failed error
			for info, err := range r.b.List(ctx, prefix) {
				if err != nil {
					failed = err
					break
				}
				if started && info.Key <= last {
					continue
				}
				fails = 0
				if !yield(info, nil) {
					return
				}
				last, started = info.Key, true
			}
			if failed == nil {
				return
			}
			fails++
			if !retryable(ctx, failed) {
				yield(storage.ObjectInfo{}, failed)
				return
			}
			if r.exhausted(fails, failed) {
				yield(storage.ObjectInfo{}, fmt.Errorf("%w (gave up after %d attempts)", failed, fails))
				return
			}
			if err := r.backoff(ctx, "list", prefix, fails, failed); err != nil {
				yield(storage.ObjectInfo{}, err)
				return
			}
		}
	}
}

// Unwrap returns the backend whose operations are retried.
func (r *backend) Unwrap() storage.Backend { return r.b }
