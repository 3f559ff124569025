package grpcserver

import (
	"context"
	"errors"
	"os"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/medusa-go/medusa/internal/backup"
	"github.com/medusa-go/medusa/internal/grpcserver/medusapb"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/metrics"
	"github.com/medusa-go/medusa/internal/progress"
)

// AsyncBackup starts a node backup and answers at once: IN_PROGRESS, and
// BackupStatus answers IN_PROGRESS for the name from now on. A name this
// node already ran or runs is not started again: the answer is its
// status. Another backup running on the node is FailedPrecondition.
func (s *Service) AsyncBackup(_ context.Context, req *medusapb.BackupRequest) (*medusapb.BackupResponse, error) {
	o, err := s.start(req)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	st := o.rec.Status
	s.mu.Unlock()
	return &medusapb.BackupResponse{BackupName: req.GetName(), Status: statusType(st)}, nil
}

// Backup runs a node backup and answers when it ended (or the call was
// cancelled: the backup then goes on). A failed backup is an Internal
// error naming the cause.
func (s *Service) Backup(ctx context.Context, req *medusapb.BackupRequest) (*medusapb.BackupResponse, error) {
	o, err := s.start(req)
	if err != nil {
		return nil, err
	}
	if o.done != nil {
		select {
		case <-o.done: // also when the service stops: the backup is cancelled then
		case <-ctx.Done():
			return nil, errorf(codes.Canceled, "backup %s goes on; ask BackupStatus for its end: %v", req.GetName(), ctx.Err())
		}
	}
	rec, _, _ := s.lookup(req.GetName())
	if rec.Status == statusFailed {
		return nil, errorf(codes.Internal, "backup %s failed: %s", rec.Name, rec.Error)
	}
	return &medusapb.BackupResponse{BackupName: req.GetName(), Status: statusType(rec.Status)}, nil
}

// start accepts a backup request: validated, deduplicated, recorded on
// disk, then run in the background.
func (s *Service) start(req *medusapb.BackupRequest) (*op, error) {
	name := req.GetName()
	if err := layout.ValidateNewBackupName(name); err != nil {
		return nil, invalid("invalid backup name: %v", err)
	}
	mode := backup.Differential
	if req.GetMode() == medusapb.BackupRequest_FULL {
		mode = backup.Full
	}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil, errorf(codes.Unavailable, "the server is stopping; backup %s was not started", name)
	}
	prev := s.ops[name]
	if prev != nil && prev.rec.Status != statusFailed {
		// Running, being resolved, or done: never started twice, and its
		// status stays what it is.
		rec := prev.rec
		s.mu.Unlock()
		if rec.Mode != string(mode) {
			s.log.Warn("backup already requested with another mode; the request is ignored", "backup", name,
				"mode", rec.Mode, "requested", string(mode))
		}
		s.log.Info("backup already known on this node: nothing started", "backup", name, "status", rec.Status)
		return prev, nil
	}
	if r := s.running; r != nil {
		s.mu.Unlock()
		return nil, errorf(codes.FailedPrecondition,
			"backup %s is running on this node (started %s): one backup at a time; request %s once it ended",
			r.rec.Name, formatTime(r.rec.Started), name)
	}
	o := &op{
		rec:  record{Name: name, Mode: string(mode), Status: statusInProgress, Started: s.cfg.Now(), PID: os.Getpid()},
		done: make(chan struct{}),
	}
	s.ops[name], s.running = o, o
	s.mu.Unlock()

	if err := s.store.put(o.rec); err != nil {
		s.mu.Lock()
		if prev != nil {
			s.ops[name] = prev
		} else {
			delete(s.ops, name)
		}
		s.running = nil
		s.mu.Unlock()
		close(o.done)
		return nil, errorf(codes.Internal, "backup %s not started: cannot record it in %s: %v", name, s.cfg.StateDir, err)
	}
	s.log.Info("Starting backup", "backup", name, "mode", string(mode))
	s.wg.Add(1)
	go s.run(o, mode)
	return o, nil
}

// run performs the backup and records how it ended.
func (s *Service) run(o *op, mode backup.Mode) {
	defer s.wg.Done()
	defer close(o.done)
	name := o.rec.Name
	opts := backup.Options{Name: name, Mode: mode, LockDir: s.cfg.LockDir}
	started := s.cfg.Now()
	res, err := s.cfg.Services.Backup(s.baseCtx, opts, progress.NewLog(s.log))
	rec := o.rec
	rec.Finished = s.cfg.Now()
	if !errors.Is(err, backup.ErrAlreadyExists) {
		var seconds, bytes int64
		if err == nil {
			seconds, bytes = int64(res.Finished.Sub(res.DataStarted).Seconds()), res.BytesTotal
		}
		s.send(metrics.NodeBackup(name, seconds, bytes, err)...)
		s.prometheusBackup(opts, res, started, err)
	}
	switch {
	case err == nil:
		rec.Status = statusSuccess
		if !res.Finished.IsZero() {
			rec.Finished = res.Finished
		}
		s.log.Info("Backup done", "backup", name)
	case errors.Is(err, backup.ErrAlreadyExists):
		// The node backup was complete before this request (made by the
		// CLI, or the state directory was lost): its real status stands.
		rec = s.fromStorage(rec, err)
	default:
		rec.Status, rec.Error = statusFailed, err.Error()
		if s.baseCtx.Err() != nil {
			rec.Error = "the server stopped during the backup: " + rec.Error
		}
		s.log.Error("Backup failed", "backup", name, "error", err)
	}
	s.finish(o, rec)
}

// fromStorage sets rec from the node backup in storage: SUCCESS with its
// times when it finished, else FAILED with cause.
func (s *Service) fromStorage(rec record, cause error) record {
	ctx, cancel := s.storageCtx(s.baseCtx)
	defer cancel()
	nb, err := s.nodeBackup(ctx, rec.Name)
	if err == nil && nb.Finished != nil {
		rec.Status, rec.Error = statusSuccess, ""
		if nb.Started != nil {
			rec.Started = time.Unix(*nb.Started, 0)
		}
		rec.Finished = time.Unix(*nb.Finished, 0)
		s.log.Info("Backup already complete in storage", "backup", rec.Name)
		return rec
	}
	if err != nil {
		cause = errors.Join(cause, err)
	}
	rec.Status, rec.Error = statusFailed, cause.Error()
	return rec
}

// nodeBackup reads this node's backup name from storage.
func (s *Service) nodeBackup(ctx context.Context, name string) (layout.NodeBackup, error) {
	cat, err := s.cfg.Services.Catalog(ctx)
	if err != nil {
		return layout.NodeBackup{}, err
	}
	defer cat.Backend.Close()
	return cat.NodeBackup(ctx, name, s.cfg.FQDN)
}

// BackupStatus answers from the operation table for the backups this
// node's server accepted (no storage request), else from storage as
// Medusa does: finished SUCCESS, unfinished FAILED (nothing runs it),
// absent NotFound.
func (s *Service) BackupStatus(ctx context.Context, req *medusapb.BackupStatusRequest) (*medusapb.BackupStatusResponse, error) {
	name := req.GetBackupName()
	if err := layout.ValidateBackupName(name); err != nil {
		return nil, errorf(codes.NotFound, "backup <%s> does not exist: %v", name, err)
	}
	rec, orphan, ok := s.lookup(name)
	if ok && orphan {
		var err error
		if rec, err = s.resolveOrphan(ctx, name); err != nil {
			return nil, err
		}
	}
	if ok {
		resp := &medusapb.BackupStatusResponse{StartTime: formatTime(rec.Started), Status: statusType(rec.Status)}
		if rec.Status == statusSuccess {
			resp.FinishTime = formatTime(rec.Finished)
		}
		return resp, nil
	}
	sctx, cancel := s.storageCtx(ctx)
	defer cancel()
	nb, err := s.nodeBackup(sctx, name)
	if errors.Is(err, layout.ErrBackupNotFound) || (err == nil && nb.Started == nil) {
		return nil, errorf(codes.NotFound, "backup <%s> does not exist", name)
	}
	if err != nil {
		return nil, s.storageError(sctx, s.cfg.StorageTimeout, "status of backup "+name, err)
	}
	resp := &medusapb.BackupStatusResponse{StartTime: formatTime(time.Unix(*nb.Started, 0)), Status: medusapb.StatusType_FAILED}
	if nb.Finished != nil {
		resp.FinishTime, resp.Status = formatTime(time.Unix(*nb.Finished, 0)), medusapb.StatusType_SUCCESS
	}
	return resp, nil
}

// prometheusBackup writes the Prometheus textfile of a backup the server
// ran, as `medusa backup` does ([monitoring] monitoring_provider =
// prometheus; nothing otherwise), with the overdue gauge from storage.
func (s *Service) prometheusBackup(opts backup.Options, res *backup.Result, started time.Time, err error) {
	run := metrics.NewRun(s.cfg.Monitoring, "backup", s.cfg.FQDN, started)
	if run == nil {
		return
	}
	run.Backup(metrics.NodeBackupOutcome(opts, res, started, err))
	ctx, cancel := s.storageCtx(s.baseCtx)
	defer cancel()
	if cat, cerr := s.cfg.Services.Catalog(ctx); cerr == nil {
		if aerr := run.CheckBackupAge(ctx, cat); aerr != nil {
			s.log.Warn("backup age for the Prometheus metrics", "error", aerr)
		}
		cat.Backend.Close()
	}
	if werr := run.Finish(err, s.log); werr != nil {
		s.log.Warn("write the Prometheus metrics of the backup", "error", werr)
	}
}
