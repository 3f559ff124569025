package cassandra

import (
	"os"
	"path/filepath"
	"strings"
)

// Only the tests use this; the product does not reach it.

// SnapshotExists reports whether any table of dataDir has a snapshot
// tagged tag (system_traces aside). Medusa only asks for a snapshot when
// none exists yet.
func SnapshotExists(dataDir, tag string) bool {
	if tag == "" || strings.ContainsAny(tag, `/\*?[`) {
		return false
	}
	dirs, _ := filepath.Glob(filepath.Join(globEscape(dataDir), "*", "*", "snapshots", tag))
	for _, d := range dirs {
		ks := filepath.Base(filepath.Dir(filepath.Dir(filepath.Dir(d))))
		if st, err := os.Stat(d); err == nil && st.IsDir() && !excludedKeyspace(ks) {
			return true
		}
	}
	return false
}
