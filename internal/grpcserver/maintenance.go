package grpcserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/grpc/codes"

	"github.com/medusa-go/medusa/internal/atomicfile"
	"github.com/medusa-go/medusa/internal/cluster"
	"github.com/medusa-go/medusa/internal/grpcserver/medusapb"
	"github.com/medusa-go/medusa/internal/k8s"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/metrics"
	"github.com/medusa-go/medusa/internal/purge"
)

// openPurger opens the purge executor and checks, within
// StorageTimeout, that storage answers (see probe). The work itself is
// bounded by PurgeTimeout: a purge of many objects may take long.
func (s *Service) openPurger(ctx context.Context, what string) (*purge.Executor, context.Context, context.CancelFunc, error) {
	pctx, cancel := s.bounded(ctx, s.cfg.PurgeTimeout)
	e, err := s.cfg.Services.Purger(pctx, false)
	if err != nil {
		cancel()
		return nil, nil, nil, s.storageError(pctx, s.cfg.PurgeTimeout, what, err)
	}
	if err := s.probe(pctx, e.Backend, e.Prefix, what); err != nil {
		e.Backend.Close()
		cancel()
		return nil, nil, nil, err
	}
	return e, pctx, cancel, nil
}

// PurgeBackups applies [storage] max_backup_age and max_backup_count to
// this node's backups, as `medusa purge` does, and counts what it did.
func (s *Service) PurgeBackups(ctx context.Context, _ *medusapb.PurgeBackupsRequest) (*medusapb.PurgeBackupsResponse, error) {
	s.log.Info("Purging backups", "max_backup_age", s.cfg.Retention.MaxAgeDays, "max_backup_count", s.cfg.Retention.MaxCount)
	e, pctx, cancel, err := s.openPurger(ctx, "purge backups")
	if err != nil {
		return nil, err
	}
	defer cancel()
	defer e.Backend.Close()
	started := s.cfg.Now()
	sum, err := e.Purge(pctx, s.cfg.FQDN, s.cfg.Retention)
	s.forgetPurged(sum)
	s.send(metrics.Outcome([]string{"medusa-node-backup", "purge-error", "PURGE-ERROR"}, err))
	if run := metrics.NewRun(s.cfg.Monitoring, "purge", s.cfg.FQDN, started); run != nil {
		objects, bytes := sum.Deleted()
		run.Purge(metrics.PurgeOutcome{Backups: sum.Backups(), Objects: objects, Bytes: bytes, Err: err})
		if werr := run.Finish(err, s.log); werr != nil {
			s.log.Warn("write the Prometheus metrics of the purge", "error", werr)
		}
	}
	if err != nil {
		return nil, errorf(codes.Internal, "purge backups of %s: %v", s.cfg.FQDN, err)
	}
	objects, bytes := sum.Deleted()
	return &medusapb.PurgeBackupsResponse{
		NbBackupsPurged:           clamp32(sum.Backups()),
		NbObjectsPurged:           clamp32(objects),
		TotalPurgedSize:           bytes,
		TotalObjectsWithinGcGrace: clamp32(sum.WithinGrace()),
	}, nil
}

// DeleteBackup deletes the backup name on every node, as `medusa
// delete-backup --all-nodes` does. A backup running on this node is
// refused (FailedPrecondition), an unknown one is NotFound.
func (s *Service) DeleteBackup(ctx context.Context, req *medusapb.DeleteBackupRequest) (*medusapb.DeleteBackupResponse, error) {
	name := req.GetName()
	if err := layout.ValidateBackupName(name); err != nil {
		return nil, invalid("invalid backup name: %v", err)
	}
	if rec, _, ok := s.lookup(name); ok && rec.Status == statusInProgress {
		return nil, errorf(codes.FailedPrecondition, "backup %s is running on this node: delete it once it ended", name)
	}
	s.log.Info("Deleting backup", "backup", name)
	e, pctx, cancel, err := s.openPurger(ctx, "delete backup "+name)
	if err != nil {
		return nil, err
	}
	defer cancel()
	defer e.Backend.Close()
	_, err = e.DeleteBackups(pctx, s.cfg.FQDN, []string{name}, true)
	s.send(metrics.Outcome([]string{"medusa-node-backup", "delete-error", "DELETE-ERROR"}, err))
	if errors.Is(err, layout.ErrBackupNotFound) {
		return nil, errorf(codes.NotFound, "backup <%s> does not exist: %v", name, err)
	}
	if err != nil {
		return nil, errorf(codes.Internal, "delete backup %s: %v", name, err)
	}
	s.forget(name)
	return &medusapb.DeleteBackupResponse{Name: name, Status: medusapb.StatusType_SUCCESS}, nil
}

// forgetPurged drops the records of this node's purged backups.
func (s *Service) forgetPurged(sum purge.Summary) {
	for _, n := range sum.Nodes {
		if n.FQDN != s.cfg.FQDN {
			continue
		}
		for _, b := range n.Backups {
			s.forget(b.Backup.Name)
		}
	}
}

// MappingOf is the restore mapping of a restore-cluster plan: the file
// PrepareRestore writes, in the JSON of the RESTORE_MAPPING the operator
// gives the restore init container (k8s.Mapping).
func MappingOf(p *cluster.Plan) k8s.Mapping {
	m := k8s.Mapping{InPlace: p.Mode == cluster.ModeInPlace, HostMap: map[string]k8s.HostMapping{}}
	for _, a := range p.Assignments {
		m.HostMap[a.Target] = k8s.HostMapping{Source: append([]string{}, a.Sources...), Seed: a.Seed}
	}
	return m
}

// PrepareRestore plans a restore of the backup onto the cluster seen from
// RestoreSeed, as restore-cluster would, and writes the mapping to
// <RestoreMappingDir>/<restoreKey>. The datacenter field is not used
// (Medusa ignores it too). Every failure is Internal.
func (s *Service) PrepareRestore(ctx context.Context, req *medusapb.PrepareRestoreRequest) (*medusapb.PrepareRestoreResponse, error) {
	name, key := req.GetBackupName(), req.GetRestoreKey()
	if err := layout.ValidateBackupName(name); err != nil {
		return nil, errorf(codes.Internal, "prepare restore: invalid backup name: %v", err)
	}
	if key == "" || key == "." || key == ".." || strings.ContainsAny(key, "/\\\x00") {
		return nil, errorf(codes.Internal, "prepare restore of %s: restore key %q is not a file name", name, key)
	}
	s.log.Info("Preparing restore", "backup", name, "restore_key", key)
	pctx, cancel := s.bounded(ctx, s.cfg.ListTimeout)
	defer cancel()
	plan, err := s.cfg.Services.RestorePlan(pctx, name, s.cfg.RestoreSeed, s.cfg.Kubernetes)
	if err != nil {
		return nil, errorf(codes.Internal, "prepare restore of %s (key %s): %v", name, key, err)
	}
	data, err := json.Marshal(MappingOf(plan))
	if err != nil {
		return nil, errorf(codes.Internal, "prepare restore of %s: %v", name, err)
	}
	if err := os.MkdirAll(s.cfg.RestoreMappingDir, 0o755); err != nil {
		return nil, errorf(codes.Internal, "prepare restore of %s: %v", name, err)
	}
	path := filepath.Join(s.cfg.RestoreMappingDir, key)
	if err := atomicfile.WriteFile(path, data, 0o644); err != nil {
		return nil, errorf(codes.Internal, "prepare restore of %s: %v", name, err)
	}
	s.log.Info(fmt.Sprintf("Restore mapping of %s written to %s", name, path), "in_place", plan.Mode == cluster.ModeInPlace)
	return &medusapb.PrepareRestoreResponse{}, nil
}

func clamp32(n int) int32 {
	if n > math.MaxInt32 {
		return math.MaxInt32
	}
	return int32(n)
}
