package commitlog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
)

// MetaFile is the file every backup writes in its meta/ directory when
// [cassandra] commitlog_archiving is set, before manifest.json (Python Medusa ignores it).
const MetaFile = "pitr.json"

// PitrMeta is <fqdn>/<backup>/meta/pitr.json: what a backup records so that
// a point-in-time restore can start from it.
type PitrMeta struct {
	// SnapshotStartedUs is the node's clock (µs since the epoch) just
	// before the snapshot: every write before it is in the backup's SSTables.
	SnapshotStartedUs int64 `json:"snapshot_started_us"`
	// SnapshotTakenUs is the clock after the snapshot returned.
	SnapshotTakenUs int64 `json:"snapshot_taken_us"`
	// ActiveSegments are the CommitLog-*.log names in commitlog_directory
	// just before the snapshot; their smallest id bounds the segments a
	// restore from this backup needs.
	ActiveSegments []string `json:"active_segments"`
	HostID         string   `json:"host_id,omitempty"`
	ReleaseVersion string   `json:"release_version,omitempty"`
	// CommitlogSegmentSize is cassandra.yaml's commitlog_segment_size as
	// written there (empty: Cassandra's default).
	CommitlogSegmentSize string `json:"commitlog_segment_size,omitempty"`
	// Precision is [cassandra] commitlog_precision (the unit of write timestamps).
	Precision string `json:"precision"`
	// Archiving: archive_command was set to medusa's archive command in
	// the properties file when the backup was taken.
	Archiving bool `json:"archiving"`
}

// UsableFromUs returns the earliest time (unix microseconds) the backup is
// a base for: the end of its snapshot, which may hold writes made while it
// was taken (its start when the end was not recorded).
func (m PitrMeta) UsableFromUs() int64 {
	if m.SnapshotTakenUs == 0 {
		return m.SnapshotStartedUs
	}
	return m.SnapshotTakenUs
}

// MinActiveID returns the smallest id among ActiveSegments, and false when
// there is none that parses.
func (m PitrMeta) MinActiveID() (int64, bool) {
	var min int64
	found := false
	for _, n := range m.ActiveSegments {
		s, err := ParseSegmentName(n)
		if err != nil {
			continue
		}
		if !found || s.ID < min {
			min, found = s.ID, true
		}
	}
	return min, found
}

// MetaKey returns the key of pitr.json of a backup, with l's prefix. Meta
// helpers take the layout (not a Backend rooted by Under) as the rest of
// the backup does.
func MetaKey(l layout.Layout, fqdn, backup string) string { return l.MetaKey(fqdn, backup, MetaFile) }

// WriteMeta stores m as the backup's pitr.json.
func WriteMeta(ctx context.Context, b storage.Backend, l layout.Layout, fqdn, backup string, m PitrMeta) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	key := MetaKey(l, fqdn, backup)
	if _, err := b.Put(ctx, key, bytes.NewReader(data)); err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	return nil
}

// ErrNoMeta: the backup has no pitr.json (made without archiving, by an
// older medusa or by Python Medusa).
var ErrNoMeta = errors.New("backup has no meta/pitr.json")

// ReadMeta reads the backup's pitr.json; a missing file is ErrNoMeta.
func ReadMeta(ctx context.Context, b storage.Backend, l layout.Layout, fqdn, backup string) (PitrMeta, error) {
	key := MetaKey(l, fqdn, backup)
	rc, _, err := b.Get(ctx, key, 0, -1)
	if errors.Is(err, storage.ErrNotExist) {
		return PitrMeta{}, fmt.Errorf("backup %s of %s: %w", backup, fqdn, ErrNoMeta)
	}
	if err != nil {
		return PitrMeta{}, fmt.Errorf("read %s: %w", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxInfoSize))
	if err != nil {
		return PitrMeta{}, fmt.Errorf("read %s: %w", key, err)
	}
	var m PitrMeta
	if err := json.Unmarshal(data, &m); err != nil {
		return PitrMeta{}, fmt.Errorf("%s is not valid JSON: %w", key, err)
	}
	return m, nil
}
