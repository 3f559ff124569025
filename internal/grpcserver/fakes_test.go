package grpcserver

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/backup"
	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/cluster"
	"github.com/medusa-go/medusa/internal/progress"
	"github.com/medusa-go/medusa/internal/purge"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/testbed"
)

const (
	testFQDN   = "node1"
	testPrefix = "p"
)

// sharedBackend is the fake bucket as each rpc sees it: Close does
// nothing (every rpc closes its stack), and the store can be made to fail
// (down) or to hang until the caller gives up (hang).
type sharedBackend struct {
	storage.Backend
	down, hang atomic.Bool
}

var errDown = errors.New("connect: connection refused (storage down in this test)")

func (b *sharedBackend) Close() error { return nil }

func (b *sharedBackend) fault(ctx context.Context) error {
	if b.hang.Load() {
		<-ctx.Done()
		return ctx.Err()
	}
	if b.down.Load() {
		return errDown
	}
	return nil
}

func (b *sharedBackend) List(ctx context.Context, prefix string) iter.Seq2[storage.ObjectInfo, error] {
	if err := b.fault(ctx); err != nil {
		return func(yield func(storage.ObjectInfo, error) bool) { yield(storage.ObjectInfo{}, err) }
	}
	return b.Backend.List(ctx, prefix)
}

func (b *sharedBackend) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	if err := b.fault(ctx); err != nil {
		return storage.ObjectInfo{}, err
	}
	return b.Backend.Stat(ctx, key)
}

// fakeServices runs the catalog and purge on a local bucket; a backup
// writes a synthetic node backup once its gate opens.
type fakeServices struct {
	t      *testing.T
	bucket *testbed.Bucket
	b      *sharedBackend

	mu      sync.Mutex
	gates   map[string]chan error // per backup name: the backup waits for a value (nil: success)
	calls   map[string]int
	plan    *cluster.Plan
	planErr error
}

func newFakeServices(t *testing.T) *fakeServices {
	bk := testbed.NewLocalBucket(t, testPrefix)
	sb := &sharedBackend{Backend: bk.B}
	bk.B = sb
	return &fakeServices{t: t, bucket: bk, b: sb, gates: map[string]chan error{}, calls: map[string]int{}}
}

// gate returns the channel backup name waits on.
func (f *fakeServices) gate(name string) chan error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.gates[name] == nil {
		f.gates[name] = make(chan error, 1)
	}
	return f.gates[name]
}

func (f *fakeServices) callCount(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

func (f *fakeServices) Backup(ctx context.Context, o backup.Options, _ progress.Reporter) (*backup.Result, error) {
	f.mu.Lock()
	f.calls[o.Name]++
	f.mu.Unlock()
	if _, err := f.b.Backend.Stat(ctx, f.bucket.L.ManifestKey(testFQDN, o.Name)); err == nil { // not faulted
		return nil, &backup.StageError{Stage: backup.StageCheck,
			Err: fmt.Errorf("backup %s %w and is complete", o.Name, backup.ErrAlreadyExists)}
	}
	started := time.Now()
	f.bucket.Backup(testbed.NodeBackupSpec{FQDN: testFQDN, Name: o.Name, Started: started,
		Full: o.Mode == backup.Full, Files: []string{"ks/t-1/nb-1-big-Data.db"}})
	select {
	case err := <-f.gate(o.Name):
		if err != nil {
			return nil, err
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	f.bucket.Backup(testbed.NodeBackupSpec{FQDN: testFQDN, Name: o.Name, Started: started, Finished: true,
		Full: o.Mode == backup.Full, Files: []string{"ks/t-1/nb-1-big-Data.db"}})
	return &backup.Result{Name: o.Name, Mode: o.Mode, Started: started, Finished: time.Now()}, nil
}

func (f *fakeServices) Catalog(context.Context) (*catalog.Catalog, error) {
	return &catalog.Catalog{Backend: f.b, Prefix: testPrefix, Heal: true}, nil
}

func (f *fakeServices) Purger(context.Context, bool) (*purge.Executor, error) {
	return &purge.Executor{Backend: f.b, Prefix: testPrefix, GraceDays: 10}, nil
}

func (f *fakeServices) RestorePlan(_ context.Context, name, seed string, _ bool) (*cluster.Plan, error) {
	if f.planErr != nil {
		return nil, f.planErr
	}
	if f.plan == nil {
		return nil, fmt.Errorf("no plan for %s from %s", name, seed)
	}
	return f.plan, nil
}

// newTestService starts a service over f with its state in dir.
func newTestService(t *testing.T, f *fakeServices, dir string, edit func(*Config)) *Service {
	t.Helper()
	cfg := Config{Services: f, FQDN: testFQDN, StateDir: dir, LockDir: t.TempDir(),
		RestoreMappingDir: t.TempDir(), StorageTimeout: 500 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if edit != nil {
		edit(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(5 * time.Second) })
	return s
}
