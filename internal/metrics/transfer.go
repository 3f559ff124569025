package metrics

import (
	"context"
	"io"
	"sync/atomic"

	"github.com/medusa-go/medusa/internal/storage"
)

// Transfer counts the bytes moved to and from storage; safe for
// concurrent use.
type Transfer struct {
	up, down atomic.Int64
}

// Bytes returns the bytes uploaded and downloaded so far.
func (t *Transfer) Bytes() (up, down int64) { return t.up.Load(), t.down.Load() }

// CountTransfers wraps b so that t counts the bytes of every successful
// Put (the object's size) and of every Get (the bytes read from the
// stream). A nil t returns b.
func CountTransfers(b storage.Backend, t *Transfer) storage.Backend {
	if t == nil {
		return b
	}
	return &counting{Backend: b, t: t}
}

type counting struct {
	storage.Backend
	t *Transfer
}

func (c *counting) Put(ctx context.Context, key string, src storage.Source) (storage.ObjectInfo, error) {
	info, err := c.Backend.Put(ctx, key, src)
	if err == nil {
		c.t.up.Add(src.Size())
	}
	return info, err
}

func (c *counting) Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, storage.ObjectInfo, error) {
	rc, info, err := c.Backend.Get(ctx, key, offset, length)
	if err != nil {
		return rc, info, err
	}
	return &countingReader{ReadCloser: rc, n: &c.t.down}, info, nil
}

type countingReader struct {
	io.ReadCloser
	n *atomic.Int64
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	r.n.Add(int64(n))
	return n, err
}

// WrapStorage wraps b to count its transfers into r.Transfer (see
// CountTransfers); on a nil Run it returns b.
func (r *Run) WrapStorage(b storage.Backend) storage.Backend {
	if r == nil {
		return b
	}
	return CountTransfers(b, &r.Transfer)
}

// Unwrap exposes the wrapped backend's optional capabilities (storage.As).
func (c *counting) Unwrap() storage.Backend { return c.Backend }
