package purge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
)

// DefaultBatchSize is the number of keys per DeleteMany call (S3's
// DeleteObjects limit).
const DefaultBatchSize = 1000

// Executor carries out deletions in one storage prefix.
type Executor struct {
	Backend storage.Backend
	// Prefix is [storage] prefix ("" for none).
	Prefix string
	// GraceDays is backup_grace_period_in_days.
	GraceDays int
	// DryRun computes and reports everything and deletes nothing.
	DryRun bool
	// Now is the clock (default time.Now).
	Now func() time.Time
	// BatchSize is the number of keys per DeleteMany call (default
	// DefaultBatchSize).
	BatchSize int
	// Concurrency bounds the manifests read at once (default 16).
	Concurrency int
	// Logger receives Medusa's progress lines; nil discards them.
	Logger *slog.Logger
	// Locks, when set, reads the Object Lock retention of objects: a
	// selected backup with an object still retained is kept whole and
	// reported (NodeResult.Locked) instead of being deleted.
	Locks storage.Retention
	// RetentionGrace is [cassandra] commitlog_retention_grace: how long archived
	// commit log segments are kept past what the remaining backups need
	// (zero: not at all).
	RetentionGrace time.Duration
}

func (e *Executor) layout() layout.Layout { return layout.New(e.Prefix) }

func (e *Executor) log() *slog.Logger {
	if e.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Logger
}

func (e *Executor) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

// BackupResult is one deleted node backup.
type BackupResult struct {
	Decision
	Objects int
	Bytes   int64
}

// NodeResult is what happened to one node.
type NodeResult struct {
	FQDN    string
	Backups []BackupResult
	// Orphans is the clean-up of the differential pool: Orphans.Delete
	// were deleted (or would be, in a dry run).
	Orphans OrphanPlan
	// Running names the node's backups that may still be running (the
	// reason for Orphans.Postponed).
	Running []string
	// Locked are the selected backups kept because some of their objects
	// are under Object Lock retention.
	Locked []LockedBackup
	// Segments is the clean-up of the node's archived commit logs
	// (P<fqdn>/commitlogs/); empty when it has none.
	Segments SegmentPlan
}

// Execute deletes the decided node backups of node, then cleans its
// differential pool, in an order that survives a crash at any point:
//
//  1. the index finished_ and manifest_ entries (the backups stop listing
//     as finished, and their cluster backups as complete);
//  2. meta/manifest.json and meta/schema.cql (the node backups no longer
//     exist; what is left of them is a leftover the next run finishes);
//  3. the latest_backup markers, when they name a deleted backup: moved
//     to the newest remaining finished backup, or deleted;
//  4. the other objects of the backup directories (full-mode data, meta);
//  5. the remaining index entries;
//  6. unreferenced pool objects (SelectOrphans), after checking that no
//     new backup of the node appeared since the listing;
//  7. the archived commit log segments no remaining backup needs
//     (SelectSegments; all of them when gone), sidecars first.
//
// The manifests of the remaining backups, and the meta/pitr.json that
// bounds the segments to keep, are read before anything is deleted; one
// that cannot be read fails the run. Keys are deleted with DeleteMany,
// BatchSize at a time. gone is set for a node that left the cluster: its
// latest_backup markers and all its archived commit logs are deleted.
func (e *Executor) Execute(ctx context.Context, idx Index, node *Node, decisions []Decision, gone bool) (NodeResult, error) {
	res := NodeResult{FQDN: node.FQDN}
	selected := map[string]bool{}
	for _, d := range decisions {
		if b := node.backups[d.Backup.Name]; b != nil && d.Backup.FQDN == node.FQDN {
			selected[d.Backup.Name] = true
			objs, bytes := b.size(idx)
			res.Backups = append(res.Backups, BackupResult{Decision: d, Objects: objs, Bytes: bytes})
		}
	}
	now := e.now()
	if err := e.keepLocked(ctx, idx, node, selected, &res, now); err != nil {
		return res, err
	}
	referenced := map[string]bool{}
	if err := e.readManifests(ctx, node, selected, referenced); err != nil {
		return res, err
	}
	for _, name := range node.names() {
		if b := node.backups[name]; !selected[name] && MayBeRunning(b.Backup, now, e.GraceDays) {
			res.Running = append(res.Running, name)
		}
	}
	res.Orphans = SelectOrphans(node.Pool, referenced, now, e.GraceDays, len(res.Running) > 0)
	pins, err := e.segmentPins(ctx, node, selected, now)
	if err != nil {
		return res, err
	}
	if len(node.Commitlogs) > 0 {
		res.Segments = SelectSegments(node.Commitlogs, e.layout().KeyPrefix(), pins, now, e.retentionGrace(), gone)
	}
	for _, r := range res.Backups {
		verb := "Purging"
		if e.DryRun {
			verb = "Would purge"
		}
		e.log().Info(fmt.Sprintf("%s backup %s from node %s (%s)...", verb, r.Backup.Name, node.FQDN, r.Reason))
	}
	if e.DryRun {
		return res, nil
	}
	if err := e.deleteBackups(ctx, node, selected, gone); err != nil {
		return res, err
	}
	if err := e.cleanPool(ctx, node, &res, now); err != nil {
		return res, err
	}
	return res, e.cleanSegments(ctx, &res, now)
}

// deleteBackups runs steps 1 to 5 of Execute.
func (e *Executor) deleteBackups(ctx context.Context, node *Node, selected map[string]bool, dropMarkers bool) error {
	var phases [4][]string
	for _, name := range node.names() {
		if !selected[name] {
			continue
		}
		for i, keys := range node.backups[name].phases() {
			phases[i] = append(phases[i], keys...)
		}
	}
	steps := []struct {
		what string
		run  func() error
	}{
		{"index finish entries", func() error { return e.deleteKeys(ctx, phases[0]) }},
		{"manifests and schemas", func() error { return e.deleteKeys(ctx, phases[1]) }},
		{"latest backup markers", func() error { return e.fixMarkers(ctx, node, selected, dropMarkers) }},
		{"backup objects", func() error { return e.deleteKeys(ctx, phases[2]) }},
		{"index entries", func() error { return e.deleteKeys(ctx, phases[3]) }},
	}
	for _, s := range steps {
		if err := s.run(); err != nil {
			return fmt.Errorf("purge node %s: delete %s: %w", node.FQDN, s.what, err)
		}
	}
	return nil
}

// cleanPool runs step 6 of Execute.
func (e *Executor) cleanPool(ctx context.Context, node *Node, res *NodeResult, now time.Time) error {
	e.log().Info(fmt.Sprintf("Cleaning up orphaned files for %s...", node.FQDN))
	if len(res.Orphans.Delete) == 0 {
		return nil
	}
	fresh, err := e.newBackups(ctx, node)
	if err != nil {
		return fmt.Errorf("purge node %s: %w", node.FQDN, err)
	}
	if len(fresh) > 0 {
		e.log().Info("New backups of the node appeared during the purge; the pool clean-up is postponed",
			"fqdn", node.FQDN, "backups", fresh)
		res.Running = append(res.Running, fresh...)
		res.Orphans.Postponed = append(res.Orphans.Postponed, res.Orphans.Delete...)
		res.Orphans.Delete = nil
		return nil
	}
	if err := e.deleteOrphans(ctx, res, now); err != nil {
		return fmt.Errorf("purge node %s: delete unreferenced pool objects: %w", node.FQDN, err)
	}
	return nil
}

// newBackups lists the index again and returns the node backups of node
// that were not there when it was listed: a backup that started since may
// be reusing pool objects.
func (e *Executor) newBackups(ctx context.Context, node *Node) ([]string, error) {
	idx, err := e.ListIndex(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, ent := range idx.Entries {
		if ent.FQDN == node.FQDN && node.backups[ent.Backup] == nil && !slices.Contains(out, ent.Backup) {
			out = append(out, ent.Backup)
		}
	}
	return out, nil
}

// deleteKeys deletes keys, BatchSize per DeleteMany call.
func (e *Executor) deleteKeys(ctx context.Context, keys []string) error {
	size := e.BatchSize
	if size <= 0 {
		size = DefaultBatchSize
	}
	for start := 0; start < len(keys); start += size {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch := keys[start:min(start+size, len(keys))]
		if err := e.Backend.DeleteMany(ctx, batch); err != nil {
			return err
		}
		for _, k := range batch {
			e.log().Debug("Purged " + k)
		}
	}
	return nil
}

// errNoManifest is returned when a finished backup's manifest is missing.
var errNoManifest = errors.New("the manifest of a finished backup cannot be found")
