package cassandra

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// SnapshotDirs lists every directory of snapshot tag under dataDir
// (<data>/<keyspace>/<table>/snapshots/<tag>), every keyspace included,
// also tables without files: what Cassandra itself sees as the snapshot
// (it refuses a new snapshot of that tag while any is there).
func SnapshotDirs(dataDir, tag string) ([]string, error) {
	if tag == "" || strings.ContainsAny(tag, `/\*?[`) {
		return nil, fmt.Errorf("find snapshot: invalid tag %q", tag)
	}
	dirs, err := filepath.Glob(filepath.Join(globEscape(dataDir), "*", "*", "snapshots", tag))
	if err != nil {
		return nil, fmt.Errorf("find snapshot %s: %w", tag, err)
	}
	out := dirs[:0]
	for _, d := range dirs {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			out = append(out, d)
		}
	}
	return out, nil
}
