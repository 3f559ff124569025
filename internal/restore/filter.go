package restore

import (
	"fmt"
	"slices"
	"strings"

	"github.com/medusa-go/medusa/internal/layout"
)

// SystemKeyspaces are always restored when keyspaces or tables are
// selected (Medusa's filtering.py), and dropped by download
// --ignore-system-keyspaces.
var SystemKeyspaces = []string{"system", "system_schema", "system_auth", "system_distributed"}

// TableName returns the table name of a table directory: the directory
// name up to its first "-" ("users-1d4f..." gives "users").
func TableName(tableDir string) string {
	name, _, _ := strings.Cut(tableDir, "-")
	return name
}

// Filter is Medusa's table selection (filtering.py filter_fqtns).
type Filter struct {
	Keyspaces []string
	Tables    []string // "ks.table"
	// IgnoreSystem drops the system keyspaces (download
	// --ignore-system-keyspaces). Unlike Medusa it applies also when no
	// keyspace or table is selected.
	IgnoreSystem bool
}

// Keep reports whether the table directory tableDir of keyspace ks is
// selected: with no selection every table is; otherwise a selected
// keyspace, a system keyspace (unless IgnoreSystem) or a selected
// "ks.table".
func (f Filter) Keep(ks, tableDir string) bool {
	system := slices.Contains(SystemKeyspaces, ks)
	if f.IgnoreSystem && system {
		return false
	}
	if len(f.Keyspaces) == 0 && len(f.Tables) == 0 {
		return true
	}
	return slices.Contains(f.Keyspaces, ks) || system || slices.Contains(f.Tables, ks+"."+TableName(tableDir))
}

// Action is what a restore does with one table of the manifest.
type Action int

// Actions.
const (
	// Restore: the node's directory (if any) is moved aside and the
	// backup's files take its place.
	Restore Action = iota
	// Wipe: the node's directory is moved aside and nothing replaces it;
	// Cassandra creates the table anew (system.local and system.peers* of
	// a remote restore).
	Wipe
	// Keep: the node's directory is left untouched (system_auth with
	// --keep-auth).
	Keep
)

// ActionFor decides what a restore does with a selected table. In place,
// every table is restored. A remote restore keeps the node's own
// system.local and system.peers / peers_v2 tables (they describe the node
// and its ring, not the backed-up one): they are wiped so that Cassandra
// rebuilds them, and with keepAuth system_auth is left alone. Only the
// system keyspace's peers tables are concerned; Medusa's operator
// precedence also wiped any user table whose name starts with "peers".
func ActionFor(ks, tableDir string, inPlace, keepAuth bool) Action {
	if inPlace {
		return Restore
	}
	name := TableName(tableDir)
	if ks == "system" && (name == "local" || strings.HasPrefix(name, "peers")) {
		return Wipe
	}
	if ks == "system_auth" && keepAuth {
		return Keep
	}
	return Restore
}

// checkSelection fails when a selected keyspace or table is not in the
// manifest, before anything is changed: naming what is missing and what
// the backup holds (its non-system tables, system keyspaces being always
// restored).
func (f Filter) checkSelection(m layout.Manifest, backup, fqdn string) error {
	keyspaces, tables := map[string]bool{}, map[string]bool{}
	for _, s := range m {
		keyspaces[s.Keyspace] = true
		tables[s.Keyspace+"."+TableName(s.ColumnFamily)] = true
	}
	var missing []string
	for _, ks := range f.Keyspaces {
		if !keyspaces[ks] {
			missing = append(missing, "keyspace "+ks)
		}
	}
	for _, t := range f.Tables {
		if !tables[t] {
			missing = append(missing, "table "+t)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	var held []string
	for t := range tables {
		ks, _, _ := strings.Cut(t, ".")
		if !slices.Contains(SystemKeyspaces, ks) {
			held = append(held, t)
		}
	}
	slices.Sort(held)
	list := "no table but the system keyspaces"
	if len(held) > 0 {
		const most = 40
		list = "the tables " + strings.Join(held[:min(len(held), most)], ", ")
		if len(held) > most {
			list += fmt.Sprintf(" and %d more", len(held)-most)
		}
	}
	return fmt.Errorf("backup %s of node %s holds no %s (it holds %s): nothing was changed; "+
		"check --keyspace and --table (keyspace.table)", backup, fqdn, strings.Join(missing, ", "), list)
}
