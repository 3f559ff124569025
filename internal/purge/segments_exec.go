package purge

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/medusa-go/medusa/internal/commitlog"
	"github.com/medusa-go/medusa/internal/storage"
)

func (e *Executor) retentionGrace() time.Duration { return max(e.RetentionGrace, 0) }

// segmentPins returns the pins of the backups of node that stay (neither
// selected nor leftovers): the oldest of them with meta/pitr.json pins the
// segments from the smallest id active at its snapshot and those written
// after its snapshot start minus the grace; each backup that may still be
// running pins, by its start time minus the grace, what it may come to
// need. Backups without pitr.json pin nothing. It reads at most the
// pitr.json files of the staying backups, oldest first, until one reads,
// and nothing when the node has no archived segment. A pitr.json that
// cannot be read (other than missing) is an error.
func (e *Executor) segmentPins(ctx context.Context, node *Node, selected map[string]bool, now time.Time) ([]SegmentPin, error) {
	if len(node.Commitlogs) == 0 {
		return nil, nil
	}
	grace := e.retentionGrace()
	var staying []*nodeBackup
	for _, name := range node.names() {
		if b := node.backups[name]; !selected[name] && !b.Leftover {
			staying = append(staying, b)
		}
	}
	sort.SliceStable(staying, func(i, j int) bool { return staying[i].Started < staying[j].Started })
	var pins []SegmentPin
	for _, b := range staying {
		if b.pitr == nil {
			continue
		}
		m, err := commitlog.ReadMeta(ctx, e.Backend, e.layout(), node.FQDN, b.Name)
		if errors.Is(err, commitlog.ErrNoMeta) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("node %s: the archived commit logs the remaining backups need "+
				"(nothing was deleted): %w", node.FQDN, err)
		}
		pin := SegmentPin{Backup: b.Name, Before: time.UnixMicro(m.SnapshotStartedUs).Add(-grace)}
		if pin.MinID, pin.HasID = m.MinActiveID(); !pin.HasID {
			// Without the active segments, a restore starts from the first
			// segment written since the snapshot started, less 2 s.
			pin.Before = pin.Before.Add(-2 * time.Second)
		}
		pins = append(pins, pin)
		break
	}
	for _, b := range staying {
		if b.pitr == nil && MayBeRunning(b.Backup, now, e.GraceDays) {
			pins = append(pins, SegmentPin{Backup: b.Name, Before: time.Unix(b.Started, 0).Add(-grace)})
		}
	}
	return pins, nil
}

// cleanSegments deletes the segments of res.Segments.Delete: first their
// sidecars (a segment without its sidecar is not archived, so no restore
// picks it), then the segment objects of the segments whose sidecar is
// gone. Objects the store refuses to delete for Object Lock retention are
// kept and counted in res.Segments.Locked, with their segment.
func (e *Executor) cleanSegments(ctx context.Context, res *NodeResult, now time.Time) error {
	plan := &res.Segments
	if len(plan.Delete) == 0 && !(plan.DeleteUnknown && len(plan.Unknown) > 0) {
		return nil
	}
	var infos []storage.ObjectInfo
	for _, g := range plan.Delete {
		if g.Info != nil {
			infos = append(infos, *g.Info)
		}
	}
	lockedInfos, err := e.deleteUnlessLocked(ctx, infos, now, plan)
	if err != nil {
		return fmt.Errorf("purge node %s: delete archived commit log sidecars: %w", res.FQDN, err)
	}
	var objects []storage.ObjectInfo
	gone := plan.Delete[:0:0]
	for _, g := range plan.Delete {
		if g.Info != nil && lockedInfos[g.Info.Key] {
			plan.Locked = append(plan.Locked, g)
			continue
		}
		gone = append(gone, g)
		objects = append(objects, g.Objects...)
	}
	plan.Delete = gone
	if plan.DeleteUnknown {
		objects = append(objects, plan.Unknown...)
	}
	lockedObjects, err := e.deleteUnlessLocked(ctx, objects, now, plan)
	if err != nil {
		return fmt.Errorf("purge node %s: delete archived commit log segments: %w", res.FQDN, err)
	}
	if len(lockedObjects) > 0 {
		gone = plan.Delete[:0:0]
		for _, g := range plan.Delete {
			if groupHasAny(g, lockedObjects) {
				plan.Locked = append(plan.Locked, g)
				continue
			}
			gone = append(gone, g)
		}
		plan.Delete = gone
		plan.Unknown = slicesWithout(plan.Unknown, lockedList(plan.Unknown, lockedObjects))
	}
	return nil
}

// deleteUnlessLocked deletes objs. When the store refuses some for Object
// Lock (and Locks can tell), the retention of each is read: the free ones
// are deleted, the retained ones returned (by key), and plan.LockedUntil
// lowered to the earliest release among them.
func (e *Executor) deleteUnlessLocked(ctx context.Context, objs []storage.ObjectInfo, now time.Time,
	plan *SegmentPlan) (map[string]bool, error) {
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = o.Key
	}
	err := e.deleteKeys(ctx, keys)
	if err == nil || e.Locks == nil || !errors.Is(err, storage.ErrLocked) {
		return nil, err
	}
	locked := map[string]bool{}
	var free []string
	for _, o := range objs {
		until, err := e.Locks.RetainUntil(ctx, o.Key)
		switch {
		case errors.Is(err, storage.ErrNotExist):
			continue // deleted by the first pass
		case err != nil:
			return nil, err
		case until.After(now):
			locked[o.Key] = true
			if plan.LockedUntil.IsZero() || until.Before(plan.LockedUntil) {
				plan.LockedUntil = until
			}
		default:
			free = append(free, o.Key)
		}
	}
	return locked, e.deleteKeys(ctx, free)
}

func groupHasAny(g SegmentGroup, keys map[string]bool) bool {
	for _, o := range g.Objects {
		if keys[o.Key] {
			return true
		}
	}
	return false
}

func lockedList(objs []storage.ObjectInfo, keys map[string]bool) []storage.ObjectInfo {
	var out []storage.ObjectInfo
	for _, o := range objs {
		if keys[o.Key] {
			out = append(out, o)
		}
	}
	return out
}
