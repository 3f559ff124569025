package layout

import (
	"strings"
)

// VariantSep separates a table directory name from the tag of a variant
// directory in the differential pool: P<fqdn>/data/<ks>/<table dir>.<tag>/…
// holds content that differs from what the pool already stores under the
// table directory's own name (see docs/differential-reuse.md). Cassandra
// table directory names ("<table>-<id>") never contain a dot, so a dotted
// directory is always a variant.
const VariantSep = "."

// VariantTableDir returns the directory of variant tag of tableDir:
// "<tableDir>.<tag>". The tag must be a non-empty key segment without a
// dot that does not end with "nodes" (Medusa would take the directory for
// DSE metadata).
func VariantTableDir(tableDir, tag string) string {
	return tableDir + VariantSep + tag
}

// BaseTableDir returns the table directory a pool directory belongs to:
// the name before the first dot of a variant directory, dir itself
// otherwise.
func BaseTableDir(dir string) string {
	if i := strings.Index(dir, VariantSep); i > 0 {
		return dir[:i]
	}
	return dir
}

// TableRelPath returns the part of an object path inside its table
// directory ("<file>" or "<sub dir>/<file>") for a manifest section of
// keyspace ks and table directory tableDir: the path must contain
// "/<ks>/<tableDir>/" or "/<ks>/<tableDir>.<tag>/" (a variant directory),
// the last occurrence counting. ok is false when it contains neither.
func TableRelPath(objPath, ks, tableDir string) (rel string, ok bool) {
	p := "/" + objPath
	marker := "/" + ks + "/" + tableDir
	for end := len(p); end > 0; {
		i := strings.LastIndex(p[:end], marker)
		if i < 0 {
			return "", false
		}
		rest := p[i+len(marker):]
		switch {
		case strings.HasPrefix(rest, "/"):
			return rest[1:], true
		case strings.HasPrefix(rest, VariantSep):
			tag, after, found := strings.Cut(rest[len(VariantSep):], "/")
			if found && tag != "" && !strings.Contains(tag, VariantSep) {
				return after, true
			}
		}
		end = i
	}
	return "", false
}
