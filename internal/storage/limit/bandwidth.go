package limit

import (
	"context"
	"io"
	"math"
	"sort"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/medusa-go/medusa/internal/storage"
)

// MaxPiece bounds the size of one paid-for read: reads are cut to at most
// this (or the bucket's burst when lower) and paid for after they happen,
// so no extra buffer is held.
const MaxPiece = 256 << 10

// Limiter is a token bucket counted in bytes; *rate.Limiter satisfies it.
type Limiter interface {
	// WaitN blocks until n bytes may pass or ctx is done.
	WaitN(ctx context.Context, n int) error
	// Burst is the largest n WaitN accepts.
	Burst() int
}

// NewLimiter returns the process-wide limiter for bytesPerSecond, or nil
// (no limit) when bytesPerSecond <= 0.
//
// The bucket starts empty and holds one second of the rate: the bytes
// moved since the start never exceed bytesPerSecond times the time
// elapsed, and a pause (a multipart upload being completed, the next file
// being opened, a HEAD) is made up for within the next second instead of
// being lost. With a bucket of 256 KiB, as before, such pauses kept a
// backup at the default 50MB/s about 15% below the rate.
func NewLimiter(bytesPerSecond int64) *rate.Limiter {
	return newLimiterAt(bytesPerSecond, time.Now())
}

// newLimiterAt is NewLimiter with its clock started at now (tests drive
// the bucket on a virtual clock).
func newLimiterAt(bytesPerSecond int64, now time.Time) *rate.Limiter {
	if bytesPerSecond <= 0 {
		return nil
	}
	burst := int(min(bytesPerSecond, math.MaxInt32))
	l := rate.NewLimiter(rate.Limit(bytesPerSecond), burst)
	l.AllowN(now, burst) // start empty
	return l
}

// piece is the largest read paid for at once under l.
func piece(l Limiter) int { return max(min(l.Burst(), MaxPiece), 1) }

// Bandwidth wraps b so that transferred bytes pass through l. A nil l
// returns b unchanged. Share one l between every backend of the process.
func Bandwidth(b storage.Backend, l Limiter) storage.Backend {
	if l == nil {
		return b
	}
	if rl, ok := l.(*rate.Limiter); ok && rl == nil {
		return b
	}
	return &bandwidth{Backend: b, l: l}
}

type bandwidth struct {
	storage.Backend
	l Limiter
}

// Put implements storage.Backend, charging the bytes read from src. Each
// byte is charged once per Put, however often the backend reads it: over
// plain HTTP the S3 SDK reads every body twice (once to sign its SHA-256,
// once to send it), and charging both reads halved the configured rate.
// A part re-sent after a transient error is not charged again either.
func (w *bandwidth) Put(ctx context.Context, key string, src storage.Source) (storage.ObjectInfo, error) {
	return w.Backend.Put(ctx, key, &limitedSource{Source: src, ctx: ctx, l: w.l})
}

// Get implements storage.Backend, charging the bytes read from the stream.
func (w *bandwidth) Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, storage.ObjectInfo, error) {
	rc, info, err := w.Backend.Get(ctx, key, offset, length)
	if err != nil {
		return nil, storage.ObjectInfo{}, err
	}
	return &limitedReader{ReadCloser: rc, ctx: ctx, l: w.l}, info, nil
}

// limitedSource reads its Source in pieces of at most MaxPiece, waiting
// after each piece for the tokens of the bytes not read before.
type limitedSource struct {
	storage.Source
	ctx context.Context
	l   Limiter

	mu      sync.Mutex
	charged []span // sorted, disjoint, not adjacent
}

// span is the byte range [from, to).
type span struct{ from, to int64 }

func (s *limitedSource) ReadAt(p []byte, off int64) (int, error) {
	step := piece(s.l)
	done := 0
	for done < len(p) {
		piece := p[done:min(len(p), done+step)]
		at := off + int64(done)
		n, err := s.Source.ReadAt(piece, at)
		done += n
		if owed := s.charge(at, at+int64(n)); owed > 0 {
			if werr := s.l.WaitN(s.ctx, int(owed)); werr != nil {
				return done, werr
			}
		}
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// charge records [from, to) as read and returns how many of its bytes
// were not read before.
func (s *limitedSource) charge(from, to int64) int64 {
	if to <= from {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	owed := to - from
	merged := span{from, to}
	kept := s.charged[:0:0]
	for _, c := range s.charged {
		if c.to < merged.from || c.from > merged.to { // apart (adjacent spans merge)
			kept = append(kept, c)
			continue
		}
		owed -= max(0, min(c.to, to)-max(c.from, from))
		merged = span{min(c.from, merged.from), max(c.to, merged.to)}
	}
	i := sort.Search(len(kept), func(i int) bool { return kept[i].from > merged.from })
	kept = append(kept, span{})
	copy(kept[i+1:], kept[i:])
	kept[i] = merged
	s.charged = kept
	return owed
}

// limitedReader cuts reads to MaxPiece and waits for the bytes it got.
type limitedReader struct {
	io.ReadCloser
	ctx context.Context
	l   Limiter
}

func (r *limitedReader) Read(p []byte) (int, error) {
	if step := piece(r.l); len(p) > step {
		p = p[:step]
	}
	n, err := r.ReadCloser.Read(p)
	if n > 0 {
		if werr := r.l.WaitN(r.ctx, n); werr != nil {
			return n, werr
		}
	}
	return n, err
}

// Unwrap returns the limited backend.
func (w *bandwidth) Unwrap() storage.Backend { return w.Backend }
