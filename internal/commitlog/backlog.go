package commitlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/medusa-go/medusa/internal/storage"
)

// Backlog is what waits in the spool for `medusa commitlog sync`.
type Backlog struct {
	// Segments and Bytes count the spooled segment files.
	Segments int
	Bytes    int64
	// Oldest is when the oldest spooled segment was handed over (its
	// .info archived_at, else the file's mtime); zero when none is.
	Oldest time.Time
	// Newest is the last write (mtime) of the newest spooled segment;
	// zero when none is.
	Newest time.Time
	// NewestName names the newest spooled segment.
	NewestName string
	// Duplicates counts <name>.dup-<sha8> files waiting for a person.
	Duplicates int
}

// SpoolBacklog reads the spool dir. A spool that does not exist yet (no
// segment was ever handed over) is an empty backlog, without error.
func SpoolBacklog(dir string) (Backlog, error) {
	var b Backlog
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return b, nil
	}
	if err != nil {
		return b, fmt.Errorf("read the spool %s: %w", dir, err)
	}
	var newestID int64
	for _, e := range entries {
		n := e.Name()
		name, err := ParseSegmentName(n)
		if err != nil {
			if strings.HasPrefix(n, "CommitLog-") && strings.Contains(n, ".log.dup-") && !strings.HasSuffix(n, InfoSuffix) {
				b.Duplicates++
			}
			continue
		}
		st, err := e.Info()
		if err != nil || !st.Mode().IsRegular() {
			continue
		}
		b.Segments++
		b.Bytes += st.Size()
		handed := st.ModTime()
		var si SpoolInfo
		if data, err := os.ReadFile(filepath.Join(dir, n+InfoSuffix)); err == nil && json.Unmarshal(data, &si) == nil &&
			!si.ArchivedAt.IsZero() {
			handed = si.ArchivedAt
		}
		if b.Oldest.IsZero() || handed.Before(b.Oldest) {
			b.Oldest = handed
		}
		if name.ID > newestID {
			newestID, b.NewestName, b.Newest = name.ID, n, st.ModTime()
		}
	}
	return b, nil
}

// Archived sums up the node's archived segments from one LIST of its
// commitlogs/ folder (keys only: a segment counts once its sidecar is
// stored; its last write time is in the key).
type Archived struct {
	Count int
	// Newest is the archived segment with the highest id, NewestMtime its
	// last write; zero when Count is 0.
	Newest      SegmentName
	NewestMtime time.Time
}

// ListArchived lists fqdn's commitlogs/ folder of b (rooted at the storage
// prefix, see Under) once.
func ListArchived(ctx context.Context, b storage.Backend, fqdn string) (Archived, error) {
	var a Archived
	dir := NodeDir(fqdn)
	for obj, err := range b.List(ctx, dir) {
		if err != nil {
			return a, fmt.Errorf("list %s: %w", dir, err)
		}
		_, mtime, name, kind, err := ParseKey(obj.Key)
		if err != nil || kind != KindInfo {
			continue
		}
		a.Count++
		if a.Count == 1 || name.ID > a.Newest.ID {
			a.Newest, a.NewestMtime = name, time.UnixMilli(mtime).UTC()
		}
	}
	return a, nil
}
