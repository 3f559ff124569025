package grpcserver

import (
	"context"
	"errors"
	"log/slog"
	"strconv"

	"google.golang.org/grpc/codes"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/grpcserver/medusapb"
	"github.com/medusa-go/medusa/internal/layout"
)

// GetBackups lists every cluster backup of the bucket (all nodes), oldest
// first. A storage failure is an error, never an empty list: the
// operator's sync deletes every MedusaBackup an answer does not name.
func (s *Service) GetBackups(ctx context.Context, _ *medusapb.GetBackupsRequest) (*medusapb.GetBackupsResponse, error) {
	const what = "list backups"
	lctx, cancel := s.bounded(ctx, s.cfg.ListTimeout)
	defer cancel()
	cat, err := s.listingCatalog(lctx, what)
	if err != nil {
		return nil, err
	}
	defer cat.Backend.Close()
	backups, err := cat.ClusterBackups(lctx)
	if err != nil {
		return nil, s.storageError(lctx, s.cfg.ListTimeout, what, err)
	}
	backups = layout.ListBackups(backups, s.cfg.FQDN, true)
	if err := cat.LoadDetails(lctx, backups); err != nil {
		return nil, s.storageError(lctx, s.cfg.ListTimeout, what, err)
	}
	resp := &medusapb.GetBackupsResponse{Backups: make([]*medusapb.BackupSummary, 0, len(backups))}
	for _, cb := range backups {
		resp.Backups = append(resp.Backups, s.summary(cb))
	}
	resp.OverallStatus = overallStatus(resp.Backups)
	return resp, nil
}

// GetBackup returns the summary of one cluster backup; an unknown name
// is NotFound.
func (s *Service) GetBackup(ctx context.Context, req *medusapb.GetBackupRequest) (*medusapb.GetBackupResponse, error) {
	name := req.GetBackupName()
	what := "get backup " + name
	lctx, cancel := s.bounded(ctx, s.cfg.ListTimeout)
	defer cancel()
	cat, err := s.listingCatalog(lctx, what)
	if err != nil {
		return nil, err
	}
	defer cat.Backend.Close()
	cb, err := cat.ClusterBackup(lctx, name)
	if errors.Is(err, layout.ErrBackupNotFound) {
		return nil, errorf(codes.NotFound, "backup <%s> does not exist", name)
	}
	if err != nil {
		return nil, s.storageError(lctx, s.cfg.ListTimeout, what, err)
	}
	list := []layout.ClusterBackup{cb}
	if err := cat.LoadDetails(lctx, list); err != nil {
		return nil, s.storageError(lctx, s.cfg.ListTimeout, what, err)
	}
	sum := s.summary(list[0])
	return &medusapb.GetBackupResponse{Backup: sum, Status: sum.Status}, nil
}

// summary is Medusa's BackupSummary of a cluster backup (details loaded):
// SUCCESS when complete; FAILED when not and this node's own part is
// recorded FAILED by this server; IN_PROGRESS otherwise.
func (s *Service) summary(cb layout.ClusterBackup) *medusapb.BackupSummary {
	sum := &medusapb.BackupSummary{
		BackupName:    cb.Name,
		StartTime:     cb.Started(),
		FinishedNodes: int32(len(cb.CompleteNodes())),
		Status:        medusapb.StatusType_IN_PROGRESS,
		BackupType:    cb.BackupType(),
		TotalSize:     cb.Size(),
		TotalObjects:  cb.NumObjects(),
		Nodes:         []*medusapb.BackupNode{},
	}
	if f := cb.Finished(); f != nil {
		sum.FinishTime, sum.Status = *f, medusapb.StatusType_SUCCESS
	} else if rec, _, ok := s.lookup(cb.Name); ok && rec.Status == statusFailed {
		sum.Status = medusapb.StatusType_FAILED
	}
	if cb.Tokenmap != nil {
		sum.TotalNodes = int32(len(cb.Tokenmap.Hosts))
		for _, h := range cb.Tokenmap.Hosts {
			sum.Nodes = append(sum.Nodes, backupNode(cb.Name, h, s.log))
		}
	}
	return sum
}

// backupNode is one tokenmap host. Tokens that do not fit the proto's
// int64 (RandomPartitioner's go up to 2^127) cannot be sent: the node is
// then listed without tokens (logged), rather than failing the whole list
// or sending wrong values. The operator does not use the tokens to
// restore: the restore reads them from the backup itself.
func backupNode(backup string, h layout.TokenmapHost, log *slog.Logger) *medusapb.BackupNode {
	n := &medusapb.BackupNode{Host: h.Host, Tokens: make([]int64, 0, len(h.Tokens))}
	if h.DC != nil {
		n.Datacenter = *h.DC
	}
	if h.Rack != nil {
		n.Rack = *h.Rack
	}
	for _, t := range h.Tokens {
		v, err := strconv.ParseInt(string(t), 10, 64)
		if err != nil {
			log.Warn("token does not fit a 64-bit integer (RandomPartitioner?): the node is listed without tokens",
				"backup", backup, "host", h.Host, "token", string(t))
			n.Tokens = []int64{}
			break
		}
		n.Tokens = append(n.Tokens, v)
	}
	return n
}

// overallStatus is Medusa's: UNKNOWN when there is no backup or one is
// UNKNOWN, else FAILED if one failed, else IN_PROGRESS if one is, else
// SUCCESS.
func overallStatus(backups []*medusapb.BackupSummary) medusapb.StatusType {
	if len(backups) == 0 {
		return medusapb.StatusType_UNKNOWN
	}
	has := map[medusapb.StatusType]bool{}
	for _, b := range backups {
		has[b.Status] = true
	}
	switch {
	case has[medusapb.StatusType_UNKNOWN]:
		return medusapb.StatusType_UNKNOWN
	case has[medusapb.StatusType_FAILED]:
		return medusapb.StatusType_FAILED
	case has[medusapb.StatusType_IN_PROGRESS]:
		return medusapb.StatusType_IN_PROGRESS
	}
	return medusapb.StatusType_SUCCESS
}

// listingCatalog opens the catalog for a listing rpc and checks that
// storage answers (one page of the index) within the storage timeout.
func (s *Service) listingCatalog(ctx context.Context, what string) (*catalog.Catalog, error) {
	cat, err := s.cfg.Services.Catalog(ctx)
	if err != nil {
		return nil, s.storageError(ctx, s.cfg.ListTimeout, what, err)
	}
	if err := s.probe(ctx, cat.Backend, cat.Prefix, what); err != nil {
		cat.Backend.Close()
		return nil, err
	}
	return cat, nil
}
