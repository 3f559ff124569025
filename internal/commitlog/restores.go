package commitlog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/medusa-go/medusa/internal/storage"
)

// RestoresDir is the directory, below a node's commitlogs/, of its
// timeline markers: one object per finished point-in-time restore.
const RestoresDir = "restores"

// RestoreMarker records a finished point-in-time restore of a node,
// stored at <fqdn>/commitlogs/restores/<restored_at_ms, 13 digits>.json.
// The node's history forks there: the segments it archived before
// RestoredAtMs belong to the timeline the restore abandoned, those after
// to the restored one (see Plan).
type RestoreMarker struct {
	// RestoredAtMs is when Cassandra was down for the restore: every
	// write of the abandoned timeline is older, every write of the new one
	// (its Cassandra started after) newer.
	RestoredAtMs int64 `json:"restored_at_ms"`
	// Target is the point in time restored; Latest: the newest archived
	// write then.
	Target time.Time `json:"target"`
	Latest bool      `json:"latest,omitempty"`
	// BaseBackup is the backup restored first.
	BaseBackup string `json:"base_backup"`
	// FirstSegment and LastSegment are the segments replayed (names), and
	// Segments their count.
	FirstSegment  string    `json:"first_segment,omitempty"`
	LastSegment   string    `json:"last_segment,omitempty"`
	Segments      int       `json:"segments"`
	HostID        string    `json:"host_id,omitempty"`
	WrittenAt     time.Time `json:"written_at"`
	MedusaVersion string    `json:"medusa_version,omitempty"`
}

// RestoredAt returns RestoredAtMs as a time.
func (m RestoreMarker) RestoredAt() time.Time { return time.UnixMilli(m.RestoredAtMs).UTC() }

// MarkerKey is the key of a node's marker of a restore at restoredAtMs.
func MarkerKey(fqdn string, restoredAtMs int64) string {
	return fmt.Sprintf("%s%s/%013d.json", NodeDir(fqdn), RestoresDir, restoredAtMs)
}

// WriteMarker stores m for fqdn (b rooted at the storage prefix, see
// Under).
func WriteMarker(ctx context.Context, b storage.Backend, fqdn string, m RestoreMarker) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	key := MarkerKey(fqdn, m.RestoredAtMs)
	if _, err := b.Put(ctx, key, bytes.NewReader(data)); err != nil {
		return fmt.Errorf("write the point-in-time restore marker %s: %w", key, err)
	}
	return nil
}

// ListMarkers returns the restore markers of fqdn, oldest first. Objects
// under restores/ that are not markers are ignored.
func ListMarkers(ctx context.Context, b storage.Backend, fqdn string) ([]RestoreMarker, error) {
	dir := NodeDir(fqdn) + RestoresDir + "/"
	var out []RestoreMarker
	for obj, err := range b.List(ctx, dir) {
		if err != nil {
			return nil, fmt.Errorf("list the point-in-time restore markers under %s: %w", dir, err)
		}
		base, ok := strings.CutSuffix(strings.TrimPrefix(obj.Key, dir), ".json")
		if _, perr := strconv.ParseInt(base, 10, 64); !ok || perr != nil || len(base) != 13 {
			continue
		}
		m, err := readMarker(ctx, b, obj.Key)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].RestoredAtMs < out[j].RestoredAtMs })
	return out, nil
}

func readMarker(ctx context.Context, b storage.Backend, key string) (RestoreMarker, error) {
	rc, _, err := b.Get(ctx, key, 0, -1)
	if err != nil {
		return RestoreMarker{}, fmt.Errorf("read the point-in-time restore marker %s: %w", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxInfoSize))
	if err != nil {
		return RestoreMarker{}, fmt.Errorf("read the point-in-time restore marker %s: %w", key, err)
	}
	var m RestoreMarker
	if err := json.Unmarshal(data, &m); err != nil || m.RestoredAtMs <= 0 {
		return RestoreMarker{}, fmt.Errorf("point-in-time restore marker %s is not valid (delete it if it is "+
			"not medusa's): %v", key, err)
	}
	return m, nil
}

// Timeline returns, for a target, the restores that bound its timeline:
// after is the newest restore at or before target (nil: none): only
// backups whose snapshot started after it are bases; before is the oldest
// one after target (nil: none): segments last written after it belong to
// another timeline. The recoverable window applies the same split: a base
// taken between two restores reaches the newest write archived before the
// second.
func Timeline(markers []RestoreMarker, target time.Time) (after, before *RestoreMarker) {
	t := target.UnixMilli()
	for i := range markers {
		if markers[i].RestoredAtMs <= t {
			after = &markers[i]
		} else if before == nil || markers[i].RestoredAtMs < before.RestoredAtMs {
			before = &markers[i]
		}
	}
	return after, before
}
