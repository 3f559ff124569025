package layout

import (
	"strconv"
)

// Meta file names under P<fqdn>/<backup>/meta/.
const (
	SchemaFile             = "schema.cql"
	TokenmapFile           = "tokenmap.json"
	ServerVersionFile      = "server_version.json"
	DifferentialFile       = "differential"
	IncrementalFile        = "incremental" // legacy marker: read, never written
	ManifestFile           = "manifest.json"
	RestoreVerifyQueryFile = "restore_verify_query.json" // defined by Medusa, never written
	// DroppedColumnsFile is ours: the table columns dropped before the
	// backup (DroppedColumns). Python Medusa neither writes nor reads it.
	DroppedColumnsFile = "dropped_columns.json"
)

// Layout builds and parses the object keys of one Medusa storage prefix.
// The zero value is the layout without a prefix.
type Layout struct {
	p string // "" or "<prefix>/"
}

// New returns the layout for the [storage] prefix setting. "" and "." mean
// no prefix (Medusa's pathlib handling makes "." equivalent to none).
// ValidatePrefix reports the prefixes Medusa refuses.
//
// Medusa quirk not reproduced: for a one-character prefix Medusa writes the
// index (and manifest paths) without the prefix while data and meta keys keep
// it, so two tenants with one-letter prefixes would share one index. Here the
// prefix applies to every key (docs/bucket-format.md, Notation).
func New(prefix string) Layout {
	if prefix == "" || prefix == "." {
		return Layout{}
	}
	return Layout{p: prefix + "/"}
}

// KeyPrefix returns "<prefix>/" or "": the P of docs/bucket-format.md, prepended to every key.
func (l Layout) KeyPrefix() string { return l.p }

// NodePrefix returns P<fqdn>/, the root of everything one node stores.
func (l Layout) NodePrefix(fqdn string) string { return l.p + fqdn + "/" }

// NodeBackupPrefix returns P<fqdn>/<backup>/: the meta files and, for full
// backups, the data of one node backup.
func (l Layout) NodeBackupPrefix(fqdn, backup string) string {
	return l.p + fqdn + "/" + backup + "/"
}

// MetaPrefix returns P<fqdn>/<backup>/meta/.
func (l Layout) MetaPrefix(fqdn, backup string) string {
	return l.NodeBackupPrefix(fqdn, backup) + "meta/"
}

// MetaKey returns P<fqdn>/<backup>/meta/<file>; file is one of the *File
// constants.
func (l Layout) MetaKey(fqdn, backup, file string) string {
	return l.MetaPrefix(fqdn, backup) + file
}

// SchemaKey returns P<fqdn>/<backup>/meta/schema.cql, the first file a
// backup writes: it exists iff the node backup exists.
func (l Layout) SchemaKey(fqdn, backup string) string { return l.MetaKey(fqdn, backup, SchemaFile) }

// TokenmapKey returns P<fqdn>/<backup>/meta/tokenmap.json.
func (l Layout) TokenmapKey(fqdn, backup string) string {
	return l.MetaKey(fqdn, backup, TokenmapFile)
}

// ServerVersionKey returns P<fqdn>/<backup>/meta/server_version.json.
func (l Layout) ServerVersionKey(fqdn, backup string) string {
	return l.MetaKey(fqdn, backup, ServerVersionFile)
}

// DifferentialKey returns P<fqdn>/<backup>/meta/differential, present only
// for differential backups.
func (l Layout) DifferentialKey(fqdn, backup string) string {
	return l.MetaKey(fqdn, backup, DifferentialFile)
}

// IncrementalKey returns P<fqdn>/<backup>/meta/incremental, the legacy name
// of the differential marker (read, never written).
func (l Layout) IncrementalKey(fqdn, backup string) string {
	return l.MetaKey(fqdn, backup, IncrementalFile)
}

// ManifestKey returns P<fqdn>/<backup>/meta/manifest.json, written last: it
// exists iff the node backup finished.
func (l Layout) ManifestKey(fqdn, backup string) string {
	return l.MetaKey(fqdn, backup, ManifestFile)
}

// DataRef names one data file in the bucket.
type DataRef struct {
	FQDN string
	// Backup is the backup name for full backups, "" for the differential
	// pool shared by all differential backups of the node.
	Backup string
	// Keyspace and TableDir (the on-disk table directory, including the
	// table id, e.g. "users-1d4f2e00a1b011eea5b1f9d4c6e1a2b3").
	Keyspace string
	TableDir string
	// SubDir is the secondary-index dot-directory (".users_email_idx") or the
	// DSE "nodes" directory; "" for ordinary SSTable files.
	SubDir string
	File   string
}

// Pool reports whether r is in the differential pool.
func (r DataRef) Pool() bool { return r.Backup == "" }

// DataPrefix returns the data root of a node backup: P<fqdn>/<backup>/data/
// for a full backup, or the pool P<fqdn>/data/ when backup is "".
func (l Layout) DataPrefix(fqdn, backup string) string {
	if backup == "" {
		return l.p + fqdn + "/data/"
	}
	return l.p + fqdn + "/" + backup + "/data/"
}

// PoolPrefix returns P<fqdn>/data/, the differential pool of a node.
func (l Layout) PoolPrefix(fqdn string) string { return l.DataPrefix(fqdn, "") }

// TablePrefix returns <data prefix><keyspace>/<table dir>/.
func (l Layout) TablePrefix(fqdn, backup, keyspace, tableDir string) string {
	return l.DataPrefix(fqdn, backup) + keyspace + "/" + tableDir + "/"
}

// IndexPrefix returns P index/.
func (l Layout) IndexPrefix() string { return l.p + "index/" }

// BackupIndexListPrefix returns "P index/backup_index" without a trailing
// slash: the exact prefix Medusa lists to read the index.
func (l Layout) BackupIndexListPrefix() string { return l.p + "index/backup_index" }

// BackupIndexPrefix returns P index/backup_index/<backup>/.
func (l Layout) BackupIndexPrefix(backup string) string {
	return l.p + "index/backup_index/" + backup + "/"
}

// IndexTokenmapKey returns P index/backup_index/<backup>/tokenmap_<fqdn>.json.
// Its presence is what makes a node backup exist in the index.
func (l Layout) IndexTokenmapKey(backup, fqdn string) string {
	return l.BackupIndexPrefix(backup) + "tokenmap_" + fqdn + ".json"
}

// IndexSchemaKey returns P index/backup_index/<backup>/schema_<fqdn>.cql.
func (l Layout) IndexSchemaKey(backup, fqdn string) string {
	return l.BackupIndexPrefix(backup) + "schema_" + fqdn + ".cql"
}

// IndexStartedKey returns
// P index/backup_index/<backup>/started_<fqdn>_<epoch>.timestamp.
func (l Layout) IndexStartedKey(backup, fqdn string, epoch int64) string {
	return l.BackupIndexPrefix(backup) + "started_" + fqdn + "_" +
		strconv.FormatInt(epoch, 10) + ".timestamp"
}

// IndexDifferentialKey returns P index/backup_index/<backup>/differential_<fqdn>
// (no extension).
func (l Layout) IndexDifferentialKey(backup, fqdn string) string {
	return l.BackupIndexPrefix(backup) + "differential_" + fqdn
}

// IndexIncrementalKey returns P index/backup_index/<backup>/incremental_<fqdn>,
// the legacy name of the differential entry (read, never written).
func (l Layout) IndexIncrementalKey(backup, fqdn string) string {
	return l.BackupIndexPrefix(backup) + "incremental_" + fqdn
}

// IndexManifestKey returns P index/backup_index/<backup>/manifest_<fqdn>.json.
func (l Layout) IndexManifestKey(backup, fqdn string) string {
	return l.BackupIndexPrefix(backup) + "manifest_" + fqdn + ".json"
}

// IndexFinishedKey returns
// P index/backup_index/<backup>/finished_<fqdn>_<epoch>.timestamp.
func (l Layout) IndexFinishedKey(backup, fqdn string, epoch int64) string {
	return l.BackupIndexPrefix(backup) + "finished_" + fqdn + "_" +
		strconv.FormatInt(epoch, 10) + ".timestamp"
}

// IndexKey builds the key of an index entry from its kind, backup, fqdn and
// (for started/finished) epoch. It returns "" for an unknown kind.
func (l Layout) IndexKey(e IndexEntry) string {
	switch e.Kind {
	case KindTokenmap:
		return l.IndexTokenmapKey(e.Backup, e.FQDN)
	case KindSchema:
		return l.IndexSchemaKey(e.Backup, e.FQDN)
	case KindStarted:
		return l.IndexStartedKey(e.Backup, e.FQDN, e.Epoch)
	case KindDifferential:
		return l.IndexDifferentialKey(e.Backup, e.FQDN)
	case KindIncremental:
		return l.IndexIncrementalKey(e.Backup, e.FQDN)
	case KindManifest:
		return l.IndexManifestKey(e.Backup, e.FQDN)
	case KindFinished:
		return l.IndexFinishedKey(e.Backup, e.FQDN, e.Epoch)
	}
	return ""
}

// LatestBackupPrefix returns P index/latest_backup/<fqdn>/.
func (l Layout) LatestBackupPrefix(fqdn string) string {
	return l.p + "index/latest_backup/" + fqdn + "/"
}

// LatestTokenmapKey returns P index/latest_backup/<fqdn>/tokenmap.json.
func (l Layout) LatestTokenmapKey(fqdn string) string {
	return l.LatestBackupPrefix(fqdn) + "tokenmap.json"
}

// LatestBackupNameKey returns P index/latest_backup/<fqdn>/backup_name.txt,
// whose content is the backup name without a newline.
func (l Layout) LatestBackupNameKey(fqdn string) string {
	return l.LatestBackupPrefix(fqdn) + "backup_name.txt"
}

// DroppedColumnsKey returns P<fqdn>/<backup>/meta/dropped_columns.json.
func (l Layout) DroppedColumnsKey(fqdn, backup string) string {
	return l.MetaKey(fqdn, backup, DroppedColumnsFile)
}
