package cassandra

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// SnapshotFile is one file of a table's snapshot.
type SnapshotFile struct {
	// RelPath is the path below the snapshot directory with "/" separators:
	// "nb-1-big-Data.db", or ".users_by_email_idx/nb-1-big-Data.db" for a
	// legacy secondary index. It is the tail of the object key.
	RelPath string
	Path    string // absolute path on disk
	Size    int64
	ModTime time.Time
}

// TableSnapshot is the snapshot directory of one table
// (<data>/<keyspace>/<table dir>/snapshots/<tag>).
type TableSnapshot struct {
	Keyspace string
	TableDir string // directory name with the table id: users-1d4f2e00a1b011eea5b1f9d4c6e1a2b3
	Dir      string // the snapshot directory
	Files    []SnapshotFile
}

// Table returns the table name: TableDir without its "-<id>" suffix.
func (t TableSnapshot) Table() string {
	if i := strings.LastIndexByte(t.TableDir, '-'); i > 0 {
		return t.TableDir[:i]
	}
	return t.TableDir
}

// Size is the total size of the files.
func (t TableSnapshot) Size() int64 {
	var n int64
	for _, f := range t.Files {
		n += f.Size
	}
	return n
}

// snapshotSkipped are Cassandra's own snapshot metadata at the root of a
// table's snapshot directory; Medusa never uploads them.
var snapshotSkipped = map[string]bool{"manifest.json": true, "schema.cql": true}

// FindSnapshot lists the snapshot tagged tag under dataDir the way Medusa
// finds it (glob <data>/*/*/snapshots/<tag>), skipping system_traces. Every
// table directory of the snapshot appears, even one without files; each
// lists its regular files recursively (secondary-index dot directories
// included, zero-byte components included), except manifest.json and
// schema.cql at its root. Tables are sorted by keyspace and directory,
// files by RelPath.
func FindSnapshot(dataDir, tag string) ([]TableSnapshot, error) {
	if tag == "" || strings.ContainsAny(tag, `/\*?[`) {
		return nil, fmt.Errorf("find snapshot: invalid tag %q", tag)
	}
	dirs, err := filepath.Glob(filepath.Join(globEscape(dataDir), "*", "*", "snapshots", tag))
	if err != nil {
		return nil, fmt.Errorf("find snapshot %s: %w", tag, err)
	}
	var out []TableSnapshot
	for _, dir := range dirs {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		tableDir := filepath.Dir(filepath.Dir(dir))
		ks := filepath.Base(filepath.Dir(tableDir))
		if excludedKeyspace(ks) {
			continue
		}
		files, err := listSnapshotFiles(dir)
		if err != nil {
			return nil, fmt.Errorf("find snapshot %s: %w", tag, err)
		}
		out = append(out, TableSnapshot{Keyspace: ks, TableDir: filepath.Base(tableDir), Dir: dir, Files: files})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Keyspace != out[j].Keyspace {
			return out[i].Keyspace < out[j].Keyspace
		}
		return out[i].TableDir < out[j].TableDir
	})
	return out, nil
}

// listSnapshotFiles walks dir and returns its regular files (symbolic
// links followed) sorted by relative path.
func listSnapshotFiles(dir string) ([]SnapshotFile, error) {
	var files []SnapshotFile
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if snapshotSkipped[rel] {
			return nil
		}
		st, err := os.Stat(path) // follows symbolic links, like Python's is_file()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // a dangling link, or a file removed meanwhile
		}
		if err != nil {
			return err
		}
		if !st.Mode().IsRegular() {
			return nil
		}
		files = append(files, SnapshotFile{RelPath: rel, Path: path, Size: st.Size(), ModTime: st.ModTime()})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(files, func(i, j int) bool { return files[i].RelPath < files[j].RelPath })
	return files, nil
}

// globEscape quotes the pattern characters of a literal path.
func globEscape(p string) string {
	var b strings.Builder
	for _, r := range p {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
