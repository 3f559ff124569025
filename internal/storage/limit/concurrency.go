package limit

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/medusa-go/medusa/internal/storage"
)

// Concurrency wraps b so that at most n Puts and open Get streams run at
// once. n <= 0 returns b unchanged.
func Concurrency(b storage.Backend, n int) storage.Backend {
	if n <= 0 {
		return b
	}
	return &concurrency{Backend: b, slots: make(chan struct{}, n)}
}

type concurrency struct {
	storage.Backend
	slots chan struct{}
}

// acquire takes a slot, preferring a free slot to a done context (the
// backend then refuses the cancelled context itself).
func (c *concurrency) acquire(ctx context.Context) error {
	select {
	case c.slots <- struct{}{}:
		return nil
	default:
	}
	select {
	case c.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *concurrency) release() { <-c.slots }

// Put implements storage.Backend, holding a slot while it runs.
func (c *concurrency) Put(ctx context.Context, key string, src storage.Source) (storage.ObjectInfo, error) {
	if err := c.acquire(ctx); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("put %s: waiting for a transfer slot: %w", key, err)
	}
	defer c.release()
	return c.Backend.Put(ctx, key, src)
}

// Get implements storage.Backend, holding a slot until the stream is
// closed.
func (c *concurrency) Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, storage.ObjectInfo, error) {
	if err := c.acquire(ctx); err != nil {
		return nil, storage.ObjectInfo{}, fmt.Errorf("get %s: waiting for a transfer slot: %w", key, err)
	}
	rc, info, err := c.Backend.Get(ctx, key, offset, length)
	if err != nil {
		c.release()
		return nil, storage.ObjectInfo{}, err
	}
	return &slotReader{ReadCloser: rc, release: sync.OnceFunc(c.release)}, info, nil
}

// slotReader gives its slot back on the first Close.
type slotReader struct {
	io.ReadCloser
	release func()
}

func (r *slotReader) Close() error {
	err := r.ReadCloser.Close()
	r.release()
	return err
}

// Unwrap returns the limited backend.
func (c *concurrency) Unwrap() storage.Backend { return c.Backend }
