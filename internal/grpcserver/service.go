package grpcserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/medusa-go/medusa/internal/app"
	"github.com/medusa-go/medusa/internal/backup"
	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/cluster"
	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/grpcserver/medusapb"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/metrics"
	"github.com/medusa-go/medusa/internal/progress"
	"github.com/medusa-go/medusa/internal/purge"
	"github.com/medusa-go/medusa/internal/storage"
)

// Services are the services the CLI uses that the rpcs call; *app.App
// implements them.
type Services interface {
	Backup(ctx context.Context, o backup.Options, rep progress.Reporter) (*backup.Result, error)
	Catalog(ctx context.Context) (*catalog.Catalog, error)
	Purger(ctx context.Context, dryRun bool) (*purge.Executor, error)
	RestorePlan(ctx context.Context, backup, seed string, allowIncomplete bool) (*cluster.Plan, error)
}

// Defaults of Config.
const (
	DefaultRestoreMappingDir = "/var/lib/cassandra/.restore_mapping"
	DefaultRestoreSeed       = "127.0.0.1"
	DefaultStorageTimeout    = 20 * time.Second
	DefaultListTimeout       = 5 * time.Minute
	DefaultPurgeTimeout      = 2 * time.Hour
	// BackupStatusTimeFormat is Medusa's format of BackupStatus times.
	BackupStatusTimeFormat = "2006-01-02 15:04:05"
)

// Config is what the service needs besides the services.
type Config struct {
	Services Services
	// FQDN is this node's identity in the bucket ([storage] fqdn).
	FQDN string
	// Retention is [storage] max_backup_age and max_backup_count.
	Retention purge.Policy
	// Kubernetes is [kubernetes] enabled: PrepareRestore then maps an
	// incomplete backup too, as Medusa does there.
	Kubernetes bool
	// StateDir holds the operation records (required).
	StateDir string
	// LockDir holds the node's backup in-progress marker (default
	// os.TempDir(), as the backup command).
	LockDir string
	// RestoreMappingDir is where PrepareRestore writes <restoreKey>.
	RestoreMappingDir string
	// RestoreSeed is the node PrepareRestore reads the cluster from.
	RestoreSeed string
	// StorageTimeout bounds the rpcs that read a few objects (BackupStatus
	// of a name this server did not run) and the first request of those
	// that read many (see probe): with storage unreachable, every rpc that
	// needs it is an error after StorageTimeout.
	StorageTimeout time.Duration
	// ListTimeout bounds a whole GetBackups or GetBackup (default 5
	// minutes: thousands of backups take a while to read).
	ListTimeout time.Duration
	// PurgeTimeout bounds a whole PurgeBackups or DeleteBackup.
	PurgeTimeout time.Duration
	// OrphanTimeout is how long, after a start, the backups a killed
	// server left running are checked against storage before they are
	// declared FAILED without an answer (default 5 minutes).
	OrphanTimeout time.Duration
	Logger        *slog.Logger
	// Metrics, when set, sends the metrics the matching commands send to
	// [monitoring] (backup, purge, delete-backup).
	Metrics func(ms ...metrics.Metric)
	// Monitoring is [monitoring]: with the prometheus provider, backups and
	// purges write their textfiles as the commands do.
	Monitoring config.Monitoring
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// ConfigFromApp fills the Config fields that come from medusa.ini.
func ConfigFromApp(a *app.App, c Config) Config {
	cfg := a.Config
	c.Services = a
	c.FQDN = cfg.Storage.FQDN
	c.Retention = purge.Policy{MaxAgeDays: cfg.Storage.MaxBackupAge, MaxCount: cfg.Storage.MaxBackupCount}
	c.Kubernetes = cfg.Kubernetes.Enabled
	c.Monitoring = cfg.Monitoring
	if c.Logger == nil {
		c.Logger = a.Logger
	}
	return c
}

// recordRetention is how long the record of an ended backup is kept; an
// older one is removed as the server starts (BackupStatus then answers
// from storage), so the state directory does not grow for ever.
const recordRetention = 90 * 24 * time.Hour

// Service implements medusapb.MedusaServer over Services. Every rpc
// answers without waiting for another: the mutex guards only the
// in-memory table of operations, never storage or Cassandra I/O.
type Service struct {
	medusapb.UnimplementedMedusaServer
	cfg   Config
	store *store
	log   *slog.Logger

	baseCtx context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	mu      sync.Mutex
	ops     map[string]*op
	running *op
	closing bool
}

// op is one backup of the table.
type op struct {
	rec record
	// done is closed when a backup run by this process ends (nil for a
	// record loaded from disk).
	done chan struct{}
	// orphan: recorded IN_PROGRESS by a server process that is gone; it is
	// resolved against storage (see recover.go).
	orphan bool
}

// New opens (and locks) the state directory, loads the records and
// starts resolving the backups a previous process left running. Close
// releases it.
func New(cfg Config) (*Service, error) {
	if cfg.Services == nil {
		return nil, errors.New("grpc server: no services")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.LockDir == "" {
		cfg.LockDir = os.TempDir()
	}
	if cfg.RestoreMappingDir == "" {
		cfg.RestoreMappingDir = DefaultRestoreMappingDir
	}
	if cfg.RestoreSeed == "" {
		cfg.RestoreSeed = DefaultRestoreSeed
	}
	if cfg.StorageTimeout <= 0 {
		cfg.StorageTimeout = DefaultStorageTimeout
	}
	if cfg.ListTimeout <= 0 {
		cfg.ListTimeout = DefaultListTimeout
	}
	if cfg.PurgeTimeout <= 0 {
		cfg.PurgeTimeout = DefaultPurgeTimeout
	}
	if cfg.OrphanTimeout <= 0 {
		cfg.OrphanTimeout = 5 * time.Minute
	}
	st, err := openStore(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	recs, problems, err := st.load()
	if err != nil {
		st.close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{cfg: cfg, store: st, log: cfg.Logger, baseCtx: ctx, cancel: cancel, ops: map[string]*op{}}
	for _, p := range problems {
		s.log.Warn("grpc server state: " + p)
	}
	var orphans []string
	for _, r := range recs {
		if r.Status != statusInProgress && !r.Finished.IsZero() && cfg.Now().Sub(r.Finished) > recordRetention {
			// Old enough that nobody polls it: storage answers for it now.
			if err := st.remove(r.Name); err != nil {
				s.log.Warn(err.Error())
			}
			continue
		}
		o := &op{rec: r}
		if r.Status == statusInProgress {
			o.orphan = true
			orphans = append(orphans, r.Name)
		}
		s.ops[r.Name] = o
	}
	s.log.Info("grpc server state loaded", "dir", cfg.StateDir, "backups", len(recs), "left running", len(orphans))
	if len(orphans) > 0 {
		s.wg.Add(1)
		go s.resolveOrphans(orphans)
	}
	return s, nil
}

// Stop stops accepting backups and cancels the running backup and every
// rpc in flight (a waiting Backup, a purge), so that a graceful stop of
// the transport does not wait for them. It does not wait.
func (s *Service) Stop() {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	s.cancel()
}

// Close stops the service (Stop), waits up to wait for a running backup
// to record its end, then releases the state directory.
func (s *Service) Close(wait time.Duration) {
	s.Stop()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(wait):
		s.log.Warn("grpc server: a backup did not stop in time; the next start resolves it", "waited", wait.String())
	}
	s.store.close()
}

// Busy reports whether a backup runs (the sidecar restarts for a changed
// medusa.ini only when idle).
func (s *Service) Busy() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running != nil
}

// lookup returns a copy of the record of name and whether it is an
// unresolved orphan.
func (s *Service) lookup(name string) (rec record, orphan, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.ops[name]
	if o == nil {
		return record{}, false, false
	}
	return o.rec, o.orphan, true
}

// finish records the end of o: first on disk, then in memory.
func (s *Service) finish(o *op, rec record) {
	if err := s.store.put(rec); err != nil {
		s.log.Error("grpc server: cannot record the end of backup "+rec.Name, "error", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o.rec, o.orphan = rec, false
	if s.running == o {
		s.running = nil
	}
}

// forget drops the record of name (deleted or purged), unless it runs.
func (s *Service) forget(name string) {
	s.mu.Lock()
	o := s.ops[name]
	if o == nil || o.rec.Status == statusInProgress {
		s.mu.Unlock()
		return
	}
	delete(s.ops, name)
	s.mu.Unlock()
	if err := s.store.remove(name); err != nil {
		s.log.Warn(err.Error())
	}
}

// rpcCtx is ctx, also cancelled when the service stops.
func (s *Service) rpcCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.baseCtx, cancel)
	return ctx, func() { stop(); cancel() }
}

// bounded is ctx bounded by limit and by the service's life.
func (s *Service) bounded(ctx context.Context, limit time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := s.rpcCtx(ctx)
	ctx, tcancel := context.WithTimeout(ctx, limit)
	return ctx, func() { tcancel(); cancel() }
}

// storageCtx bounds a few storage reads by StorageTimeout.
func (s *Service) storageCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return s.bounded(ctx, s.cfg.StorageTimeout)
}

// probe checks, within StorageTimeout, that storage answers: the first
// page of a listing of the backup index. Calls whose whole work may take
// longer (a listing of thousands of backups, a purge) probe first, so an
// unreachable store is an error within seconds, and then get a longer
// limit.
func (s *Service) probe(ctx context.Context, b storage.Backend, prefix, what string) error {
	sctx, cancel := s.storageCtx(ctx)
	defer cancel()
	for _, err := range b.List(sctx, layout.New(prefix).IndexPrefix()) {
		if err != nil {
			return s.storageError(sctx, s.cfg.StorageTimeout, what, err)
		}
		break
	}
	return nil
}

// storageError turns a storage failure into a gRPC error (never an empty
// success): Unavailable, saying when the store did not answer within
// limit.
func (s *Service) storageError(ctx context.Context, limit time.Duration, what string, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return status.Errorf(codes.Unavailable, "%s: storage did not answer within %s: %v", what, limit, err)
	}
	if errors.Is(err, context.Canceled) {
		return status.Errorf(codes.Canceled, "%s: %v", what, err)
	}
	return status.Errorf(codes.Unavailable, "%s: %v", what, err)
}

// send sends metrics when Config.Metrics is set.
func (s *Service) send(ms ...metrics.Metric) {
	if s.cfg.Metrics != nil {
		s.cfg.Metrics(ms...)
	}
}

// formatTime renders a BackupStatus time ("" for none).
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format(BackupStatusTimeFormat)
}

func statusType(s string) medusapb.StatusType {
	switch s {
	case statusSuccess:
		return medusapb.StatusType_SUCCESS
	case statusFailed:
		return medusapb.StatusType_FAILED
	case statusInProgress:
		return medusapb.StatusType_IN_PROGRESS
	}
	return medusapb.StatusType_UNKNOWN
}

func invalid(format string, args ...any) error {
	return status.Errorf(codes.InvalidArgument, format, args...)
}

func errorf(c codes.Code, format string, args ...any) error {
	return status.Error(c, fmt.Sprintf(format, args...))
}
