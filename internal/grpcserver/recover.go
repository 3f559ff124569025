package grpcserver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/medusa-go/medusa/internal/layout"
)

// Backups a killed server left running. The state directory is locked by
// one server at a time, so a record still IN_PROGRESS when a server starts
// belongs to a process that is gone (killed, OOM, node restart): nothing
// runs that backup any more. Each such orphan is resolved against storage:
// a node backup that finished (the process died after its manifest) is
// SUCCESS, any other is FAILED, saying why. Until then BackupStatus checks
// storage itself for the name; after OrphanTimeout without an answer from
// storage the orphan is FAILED anyway, so no backup stays IN_PROGRESS
// forever. The next backup is not blocked: the node's in-progress marker
// is an flock that died with its process, and the snapshot it left is
// cleared by the next backup (see package backup).

// orphanRetry is the pause between two checks of the orphans.
const orphanRetry = 10 * time.Second

// resolveOrphans resolves the orphans names in the background.
func (s *Service) resolveOrphans(names []string) {
	defer s.wg.Done()
	deadline := s.cfg.Now().Add(s.cfg.OrphanTimeout)
	for {
		var left []string
		var lastErr error
		for _, name := range names {
			if _, err := s.resolveOrphan(s.baseCtx, name); err != nil {
				left, lastErr = append(left, name), err
			}
		}
		if len(left) == 0 || s.baseCtx.Err() != nil {
			return
		}
		if !s.cfg.Now().Before(deadline) {
			for _, name := range left {
				s.failOrphan(name, fmt.Sprintf("its server process ended before the backup finished, and storage "+
					"could not be checked for %s: %v", s.cfg.OrphanTimeout, lastErr))
			}
			return
		}
		names = left
		select {
		case <-s.baseCtx.Done():
			return
		case <-time.After(orphanRetry):
		}
	}
}

// resolveOrphan resolves the orphan name against storage (bounded by
// StorageTimeout) and returns its record; a storage failure is a gRPC
// error and leaves it unresolved.
func (s *Service) resolveOrphan(ctx context.Context, name string) (record, error) {
	sctx, cancel := s.storageCtx(ctx)
	defer cancel()
	nb, err := s.nodeBackup(sctx, name)
	if err != nil && !errors.Is(err, layout.ErrBackupNotFound) {
		return record{}, s.storageError(sctx, s.cfg.StorageTimeout, "status of backup "+name+" (left running by a stopped server)", err)
	}
	s.mu.Lock()
	o := s.ops[name]
	if o == nil || !o.orphan {
		var rec record
		if o != nil {
			rec = o.rec
		}
		s.mu.Unlock()
		return rec, nil // resolved meanwhile
	}
	rec := o.rec
	s.mu.Unlock()
	rec.Finished = s.cfg.Now()
	switch {
	case err == nil && nb.Finished != nil:
		rec.Status, rec.Error = statusSuccess, ""
		rec.Finished = time.Unix(*nb.Finished, 0)
		s.log.Info("Backup left running by a stopped server had finished", "backup", name)
	case err == nil:
		rec.Status = statusFailed
		rec.Error = fmt.Sprintf("its server process (pid %d) ended before the backup finished; "+
			"request the same name again to resume it", rec.PID)
	default:
		rec.Status = statusFailed
		rec.Error = fmt.Sprintf("its server process (pid %d) ended before the backup stored anything", rec.PID)
	}
	if rec.Status == statusFailed {
		s.log.Warn("Backup left running by a stopped server failed", "backup", name, "reason", rec.Error)
	}
	s.finishOrphan(o, rec)
	return rec, nil
}

// failOrphan declares the orphan name FAILED with reason.
func (s *Service) failOrphan(name, reason string) {
	s.mu.Lock()
	o := s.ops[name]
	if o == nil || !o.orphan {
		s.mu.Unlock()
		return
	}
	rec := o.rec
	s.mu.Unlock()
	rec.Status, rec.Error, rec.Finished = statusFailed, reason, s.cfg.Now()
	s.log.Warn("Backup left running by a stopped server failed", "backup", name, "reason", reason)
	s.finishOrphan(o, rec)
}

// finishOrphan records rec for o unless o was resolved meanwhile.
func (s *Service) finishOrphan(o *op, rec record) {
	s.mu.Lock()
	if !o.orphan {
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.finish(o, rec)
}
