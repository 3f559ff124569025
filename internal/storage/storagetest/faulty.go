package storagetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"sync"
	"syscall"

	"github.com/medusa-go/medusa/internal/storage"
)

// Op names an operation Faulty can fail.
type Op string

// Operations of a Backend, plus OpRead: reading the body Get returned.
const (
	OpPut        Op = "put"
	OpGet        Op = "get"
	OpRead       Op = "read"
	OpStat       Op = "stat"
	OpList       Op = "list"
	OpDelete     Op = "delete"
	OpDeleteMany Op = "delete-many"
)

// Errors to inject, as a backend would report them.
var (
	// ErrSlowDown is S3's throttling answer (503 SlowDown), transient.
	ErrSlowDown = storage.Transient(errors.New("injected: 503 SlowDown: please reduce your request rate"))
	// ErrConnReset is a connection reset by the peer, transient.
	ErrConnReset = storage.Transient(fmt.Errorf("injected: read tcp 127.0.0.1:1->127.0.0.1:2: %w", syscall.ECONNRESET))
	// ErrDenied is a permanent access-denied answer.
	ErrDenied = fmt.Errorf("injected: 403 AccessDenied: %w", storage.ErrAccessDenied)
)

// Fault is one injection rule. Calls of Op whose key matches are counted;
// the first Skip pass through, the next Times fail with Err (Times 0: all
// the following ones fail).
type Fault struct {
	Op Op
	// Key restricts the fault to one key ("" matches every key; for
	// OpDeleteMany it matches when the batch contains Key; for OpList it is
	// compared with the prefix).
	Key   string
	Err   error
	Skip  int
	Times int
	// After delays the failure: OpRead delivers After bytes of the body
	// then fails; OpList yields After objects then the error; OpPut reads
	// the first After bytes of the source before failing.
	After int64

	seen int // matching calls so far
}

// Faulty wraps a Backend and injects the faults given to Inject. It is safe
// for concurrent use. Methods without a matching fault call the wrapped
// backend.
type Faulty struct {
	storage.Backend

	mu       sync.Mutex
	faults   []*Fault
	calls    map[Op]int
	injected map[Op]int
}

// NewFaulty wraps b.
func NewFaulty(b storage.Backend) *Faulty {
	return &Faulty{Backend: b, calls: map[Op]int{}, injected: map[Op]int{}}
}

// Inject adds fault rules; the first matching rule that fires wins.
func (f *Faulty) Inject(faults ...Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, fault := range faults {
		f.faults = append(f.faults, &fault)
	}
}

// Reset removes every rule and zeroes the counters.
func (f *Faulty) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = nil
	clear(f.calls)
	clear(f.injected)
}

// Calls returns how many times op was called (OpRead: bodies opened).
func (f *Faulty) Calls(op Op) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

// Injected returns how many faults were injected for op.
func (f *Faulty) Injected(op Op) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.injected[op]
}

// fire counts a call of op on keys and returns the fault to inject, if any.
func (f *Faulty) fire(op Op, keys ...string) *Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
	for _, fault := range f.faults {
		if fault.Op != op || (fault.Key != "" && !slices.Contains(keys, fault.Key)) {
			continue
		}
		fault.seen++
		if fault.seen <= fault.Skip || (fault.Times > 0 && fault.seen > fault.Skip+fault.Times) {
			continue
		}
		f.injected[op]++
		return fault
	}
	return nil
}

// Put implements storage.Backend.
func (f *Faulty) Put(ctx context.Context, key string, src storage.Source) (storage.ObjectInfo, error) {
	if fault := f.fire(OpPut, key); fault != nil {
		if n := min(fault.After, src.Size()); n > 0 {
			_, _ = io.Copy(io.Discard, io.NewSectionReader(src, 0, n))
		}
		return storage.ObjectInfo{}, fmt.Errorf("put %s: %w", key, fault.Err)
	}
	return f.Backend.Put(ctx, key, src)
}

// Get implements storage.Backend; OpRead faults wrap the returned body.
func (f *Faulty) Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, storage.ObjectInfo, error) {
	if fault := f.fire(OpGet, key); fault != nil {
		return nil, storage.ObjectInfo{}, fmt.Errorf("get %s: %w", key, fault.Err)
	}
	rc, info, err := f.Backend.Get(ctx, key, offset, length)
	if err != nil {
		return nil, storage.ObjectInfo{}, err
	}
	if fault := f.fire(OpRead, key); fault != nil {
		return &faultyBody{ReadCloser: rc, left: fault.After, err: fault.Err}, info, nil
	}
	return rc, info, nil
}

// faultyBody delivers left bytes then fails with err.
type faultyBody struct {
	io.ReadCloser
	left int64
	err  error
}

func (b *faultyBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, b.err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}

// Stat implements storage.Backend.
func (f *Faulty) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	if fault := f.fire(OpStat, key); fault != nil {
		return storage.ObjectInfo{}, fmt.Errorf("stat %s: %w", key, fault.Err)
	}
	return f.Backend.Stat(ctx, key)
}

// List implements storage.Backend.
func (f *Faulty) List(ctx context.Context, prefix string) iter.Seq2[storage.ObjectInfo, error] {
	return func(yield func(storage.ObjectInfo, error) bool) {
		fault := f.fire(OpList, prefix)
		if fault == nil {
			for info, err := range f.Backend.List(ctx, prefix) {
				if !yield(info, err) || err != nil {
					return
				}
			}
			return
		}
		n := int64(0)
		for info, err := range f.Backend.List(ctx, prefix) {
			if err != nil || n >= fault.After {
				break
			}
			if !yield(info, nil) {
				return
			}
			n++
		}
		yield(storage.ObjectInfo{}, fmt.Errorf("list %s: %w", prefix, fault.Err))
	}
}

// Delete implements storage.Backend.
func (f *Faulty) Delete(ctx context.Context, key string) error {
	if fault := f.fire(OpDelete, key); fault != nil {
		return fmt.Errorf("delete %s: %w", key, fault.Err)
	}
	return f.Backend.Delete(ctx, key)
}

// DeleteMany implements storage.Backend.
func (f *Faulty) DeleteMany(ctx context.Context, keys []string) error {
	if fault := f.fire(OpDeleteMany, keys...); fault != nil {
		return fmt.Errorf("delete %d keys: %w", len(keys), fault.Err)
	}
	return f.Backend.DeleteMany(ctx, keys)
}
