package layout

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// IndexKind is the kind of a backup index entry.
type IndexKind string

// Index entry kinds, named like the file name prefixes Medusa uses.
const (
	KindTokenmap     IndexKind = "tokenmap"
	KindSchema       IndexKind = "schema"
	KindManifest     IndexKind = "manifest"
	KindDifferential IndexKind = "differential"
	KindIncremental  IndexKind = "incremental"
	KindStarted      IndexKind = "started"
	KindFinished     IndexKind = "finished"
)

// IndexEntry is one parsed key under P index/backup_index/.
type IndexEntry struct {
	Key    string
	Backup string
	FQDN   string
	Kind   IndexKind
	// Epoch is the Unix time in the name of started_/finished_ entries.
	Epoch int64
}

// ErrImproperIndexKey is returned (wrapped) for keys under the backup index
// that Medusa does not read as index entries.
var ErrImproperIndexKey = errors.New("improper backup index key")

// ErrBackupNotFound is returned (wrapped) wherever a named backup or node
// backup does not exist in the bucket: the catalog's reads, delete-backup,
// restore and download. The error's text names the backup.
var ErrBackupNotFound = errors.New("backup not found")

// Medusa's two patterns (storage/__init__.py), tried in this order because
// the second is more generic. Python's re.match anchors at the start and its
// '$' also matches before a final newline, hence "\n?$". Both leading ".*"
// are greedy: the last "<kind>_" in the key wins.
var (
	indexTimestampPattern = regexp.MustCompile(`^.*(started|finished)_(.*)_([0-9]+).timestamp\n?$`)
	indexNamePattern      = regexp.MustCompile(`^.*(tokenmap|schema|manifest|differential|incremental)_(.*)\n?$`)
)

// removeIndexExtension mirrors Medusa's remove_extension: every occurrence of
// ".json", ".cql", ".txt" and ".timestamp" is removed, in that order, from
// anywhere in the name.
func removeIndexExtension(s string) string {
	for _, ext := range []string{".json", ".cql", ".txt", ".timestamp"} {
		s = strings.ReplaceAll(s, ext, "")
	}
	return s
}

// ParseIndexKey reads a key listed under BackupIndexListPrefix the way Medusa
// does:
//   - the key must have exactly 4 "/"-separated segments (5 with a prefix),
//     else it is ignored (Medusa logs "has improper name");
//   - the backup name is the second-to-last segment;
//   - the fqdn and kind come from the whole key matched against
//     `.*(started|finished)_(.*)_([0-9]+).timestamp$` first, else
//     `.*(tokenmap|schema|manifest|differential|incremental)_(.*)$`; then
//     ".json", ".cql", ".txt" and ".timestamp" are removed from the fqdn.
//
// Like Medusa it does not look at the "index/backup_index" segments. Keys no
// pattern matches (Medusa fails an assertion on them) and epochs beyond
// int64 are reported as improper. Errors wrap ErrImproperIndexKey.
func (l Layout) ParseIndexKey(key string) (IndexEntry, error) {
	if !strings.HasPrefix(key, l.p) {
		return IndexEntry{}, fmt.Errorf("%w: %q is outside prefix %q", ErrImproperIndexKey, key, l.p)
	}
	segments := strings.Split(key, "/")
	want := 4 + strings.Count(l.p, "/")
	if len(segments) != want {
		return IndexEntry{}, fmt.Errorf("%w: %q has %d path segments, want %d",
			ErrImproperIndexKey, key, len(segments), want)
	}
	e := IndexEntry{Key: key, Backup: segments[want-2]}
	if m := indexTimestampPattern.FindStringSubmatch(key); m != nil {
		epoch, err := strconv.ParseInt(m[3], 10, 64)
		if err != nil {
			return IndexEntry{}, fmt.Errorf("%w: %q: epoch %s out of range", ErrImproperIndexKey, key, m[3])
		}
		e.Kind, e.FQDN, e.Epoch = IndexKind(m[1]), removeIndexExtension(m[2]), epoch
		return e, nil
	}
	if m := indexNamePattern.FindStringSubmatch(key); m != nil {
		e.Kind, e.FQDN = IndexKind(m[1]), removeIndexExtension(m[2])
		return e, nil
	}
	return IndexEntry{}, fmt.Errorf("%w: %q matches no index entry pattern", ErrImproperIndexKey, key)
}

// IgnoredKey is an index key ParseIndexKeys skipped, with the reason.
type IgnoredKey struct {
	Key string
	Err error
}

// Warning returns the line to log for the ignored key.
func (k IgnoredKey) Warning() string {
	return fmt.Sprintf("File %s in backup index has improper name: %v", k.Key, k.Err)
}

// ParseIndexKeys parses every key of an index listing, keeping the order of
// keys, and returns the keys it ignored (the caller logs them as warnings).
func (l Layout) ParseIndexKeys(keys []string) ([]IndexEntry, []IgnoredKey) {
	entries := make([]IndexEntry, 0, len(keys))
	var ignored []IgnoredKey
	for _, k := range keys {
		e, err := l.ParseIndexKey(k)
		if err != nil {
			ignored = append(ignored, IgnoredKey{Key: k, Err: err})
			continue
		}
		entries = append(entries, e)
	}
	return entries, ignored
}

// ErrNotDataKey is returned (wrapped) by ParseDataKey for keys that are not
// data files of the layout.
var ErrNotDataKey = errors.New("not a data key")

// isSubDir reports whether a directory below a table dir holds files of the
// table the way Medusa treats it: a secondary-index dot-directory, or a
// directory whose name ends with "nodes" (DSE metadata).
func isSubDir(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasSuffix(name, "nodes")
}

// tableRef fills keyspace/table dir/subdir/file from the segments after "data".
func tableRef(r DataRef, rest []string) (DataRef, bool) {
	for _, s := range rest {
		if s == "" {
			return r, false
		}
	}
	switch {
	case len(rest) == 3 && !strings.HasPrefix(rest[1], "."):
		r.Keyspace, r.TableDir, r.File = rest[0], rest[1], rest[2]
	case len(rest) == 4 && !strings.HasPrefix(rest[1], ".") && isSubDir(rest[2]):
		r.Keyspace, r.TableDir, r.SubDir, r.File = rest[0], rest[1], rest[2], rest[3]
	default:
		return r, false
	}
	return r, true
}

// ParseDataKey splits a data key built by DataKey back into its parts. Pool
// keys P<fqdn>/data/<ks>/<table>/[<sub>/]<file> are tried first, then full
// backup keys P<fqdn>/<backup>/data/<ks>/<table>/[<sub>/]<file>; so a backup
// named "data" is only recognised when the key cannot be a pool key. Errors
// wrap ErrNotDataKey.
func (l Layout) ParseDataKey(key string) (DataRef, error) {
	rest, ok := strings.CutPrefix(key, l.p)
	if !ok {
		return DataRef{}, fmt.Errorf("%w: %q is outside prefix %q", ErrNotDataKey, key, l.p)
	}
	parts := strings.Split(rest, "/")
	if len(parts) >= 5 && parts[0] != "" && parts[1] == "data" {
		if r, ok := tableRef(DataRef{FQDN: parts[0]}, parts[2:]); ok {
			return r, nil
		}
	}
	if len(parts) >= 6 && parts[0] != "" && parts[1] != "" && parts[2] == "data" {
		if r, ok := tableRef(DataRef{FQDN: parts[0], Backup: parts[1]}, parts[3:]); ok {
			return r, nil
		}
	}
	return DataRef{}, fmt.Errorf("%w: %q", ErrNotDataKey, key)
}
