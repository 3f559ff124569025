package limit

import (
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/time/rate"

	"github.com/medusa-go/medusa/internal/storage"
)

// gauge counts transfers in flight and the most seen at once.
type gauge struct {
	cur, peak atomic.Int32
	calls     atomic.Int32
}

func (g *gauge) enter() {
	g.calls.Add(1)
	n := g.cur.Add(1)
	for {
		p := g.peak.Load()
		if n <= p || g.peak.CompareAndSwap(p, n) {
			return
		}
	}
}

func (g *gauge) leave() { g.cur.Add(-1) }

// slowBackend counts its transfers; Put runs hook while counted.
type slowBackend struct {
	storage.Backend
	g    *gauge
	hook func()
}

func (s *slowBackend) Put(ctx context.Context, key string, src storage.Source) (storage.ObjectInfo, error) {
	s.g.enter()
	defer s.g.leave()
	if err := ctx.Err(); err != nil {
		return storage.ObjectInfo{}, err
	}
	s.hook()
	return storage.ObjectInfo{Key: key, Size: src.Size()}, nil
}

func (s *slowBackend) Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, storage.ObjectInfo, error) {
	s.g.enter()
	if err := ctx.Err(); err != nil {
		s.g.leave()
		return nil, storage.ObjectInfo{}, err
	}
	rc := &leaveOnClose{ReadCloser: io.NopCloser(strings.NewReader("data")), g: s.g}
	return rc, storage.ObjectInfo{Key: key, Size: 4, Version: "1"}, nil
}

type leaveOnClose struct {
	io.ReadCloser
	g *gauge
}

func (l *leaveOnClose) Close() error { l.g.leave(); return nil }

func TestConcurrencyNeverExceedsN(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 3, 8} {
		g := &gauge{}
		b := Concurrency(&slowBackend{g: g, hook: func() {
			for range 10 {
				runtime.Gosched()
			}
		}}, n)
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Go(func() {
				for range 25 {
					if i%2 == 0 {
						if _, err := b.Put(t.Context(), "k", strings.NewReader("x")); err != nil {
							t.Error(err)
						}
						continue
					}
					rc, _, err := b.Get(t.Context(), "k", 0, -1)
					if err != nil {
						t.Error(err)
						continue
					}
					_, _ = io.Copy(io.Discard, rc)
					runtime.Gosched()
					rc.Close()
					rc.Close() // a second Close must not free a second slot
				}
			})
		}
		wg.Wait()
		if p := g.peak.Load(); p > int32(n) || p < 1 {
			t.Errorf("n=%d: peak of %d transfers in flight", n, p)
		}
		if c := g.calls.Load(); c != 1000 {
			t.Errorf("n=%d: %d transfers reached the backend, want 1000", n, c)
		}
	}
}

// TestConcurrencySlots holds every slot and probes with cancelled
// contexts: a free slot is taken even then (the backend sees the call), a
// full semaphore refuses without calling the backend.
func TestConcurrencySlots(t *testing.T) {
	t.Parallel()
	const n = 3
	g := &gauge{}
	release := make(chan struct{})
	entered := make(chan struct{}, n)
	b := Concurrency(&slowBackend{g: g, hook: func() { entered <- struct{}{}; <-release }}, n)
	finished := make(chan struct{}, n)
	for range n {
		go func() {
			_, _ = b.Put(t.Context(), "k", strings.NewReader("x"))
			finished <- struct{}{}
		}()
	}
	for range n {
		<-entered
	}
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	probe := func(wantCall bool) {
		t.Helper()
		before := g.calls.Load()
		rc, _, err := b.Get(cancelled, "k", 0, -1)
		if err == nil {
			rc.Close()
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Get with a cancelled context: %v, want context.Canceled", err)
		}
		if called := g.calls.Load() > before; called != wantCall {
			t.Errorf("backend called = %v, want %v (slots in use %d of %d)", called, wantCall, g.cur.Load(), n)
		}
	}
	probe(false) // all n slots held by blocked Puts
	release <- struct{}{}
	<-finished
	probe(true) // one slot free again
	close(release)
	for range n - 1 {
		<-finished
	}

	// Open Get streams hold slots until closed.
	var streams []io.ReadCloser
	for range n {
		rc, _, err := b.Get(t.Context(), "k", 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		streams = append(streams, rc)
	}
	probe(false)
	streams[0].Close()
	probe(true)
	for _, rc := range streams[1:] {
		rc.Close()
	}
}

// TestDecoratorsPassDescriptionThrough: what the backend's Get says of the
// object comes out of the Concurrency and Bandwidth decorators unchanged.
func TestDecoratorsPassDescriptionThrough(t *testing.T) {
	t.Parallel()
	base := newLocal(t)
	if _, err := base.Put(t.Context(), "k", strings.NewReader("content")); err != nil {
		t.Fatal(err)
	}
	want, err := base.Stat(t.Context(), "k")
	if err != nil {
		t.Fatal(err)
	}
	b := Concurrency(Bandwidth(base, rate.NewLimiter(rate.Inf, MaxPiece)), 2)
	rc, info, err := b.Get(t.Context(), "k", 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if info != want {
		t.Errorf("Get through the decorators described %+v, the backend %+v", info, want)
	}
}
