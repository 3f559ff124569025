package commitlog

import "path/filepath"

// Default directory names, inside commitlog_directory: on the same file
// system as the segments (so a hard link works), and ignored by Cassandra,
// which only looks at CommitLog-*.log files directly in the directory.
const (
	DefaultSpoolName   = ".medusa_spool"
	DefaultRestoreName = ".medusa_pitr_restore"
)

// Paths are the local places archiving and point-in-time restore use.
type Paths struct {
	// CommitlogDir is cassandra.yaml's commitlog_directory.
	CommitlogDir string
	// SpoolDir holds segments handed over by the archive command until
	// sync uploads them.
	SpoolDir string
	// PropertiesFile is Cassandra's commitlog_archiving.properties.
	PropertiesFile string
	// RestoreDir is restore_directories during a point-in-time restore.
	RestoreDir string
}

// ResolvePaths fills the commit log paths left empty with their defaults:
// the spool and restore directories inside commitlogDir, the properties
// file beside cassandraYAML.
func ResolvePaths(cassandraYAML, commitlogDir, spoolDir, propertiesFile, restoreDir string) Paths {
	p := Paths{CommitlogDir: commitlogDir, SpoolDir: spoolDir, PropertiesFile: propertiesFile, RestoreDir: restoreDir}
	if p.SpoolDir == "" {
		p.SpoolDir = filepath.Join(commitlogDir, DefaultSpoolName)
	}
	if p.PropertiesFile == "" {
		p.PropertiesFile = filepath.Join(filepath.Dir(cassandraYAML), PropertiesFile)
	}
	if p.RestoreDir == "" {
		p.RestoreDir = filepath.Join(commitlogDir, DefaultRestoreName)
	}
	return p
}
