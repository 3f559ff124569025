package config

import (
	"strconv"
	"strings"
	"time"
)

// Commitlog holds the commit log archiving settings for point-in-time
// restore (docs/pitr.md). They are [cassandra] keys with a commitlog_
// prefix, not a section of their own: Python Medusa reads the same
// medusa.ini, ignores keys it does not know in its known sections, but
// stops with a KeyError on a section it does not know. Empty paths mean
// the defaults derived from cassandra.yaml at run time.
type Commitlog struct {
	// Enabled ([cassandra] commitlog_archiving): every backup syncs the
	// spool and writes meta/pitr.json.
	Enabled bool
	// SpoolDir is where the archive command hard-links closed segments;
	// "" = <commitlog_directory>/.medusa_spool.
	SpoolDir string
	// PropertiesFile is Cassandra's commitlog_archiving.properties;
	// "" = that file in the directory of cassandra.yaml.
	PropertiesFile string
	// Precision is the unit of the write timestamps the applications use.
	Precision string
	// RetentionGrace keeps segments this long past what retained backups need.
	RetentionGrace time.Duration
	// RestoreDir is where a point-in-time restore puts the segments for
	// Cassandra to replay; "" = <commitlog_directory>/.medusa_pitr_restore.
	RestoreDir string
	// SyncInterval is how often `medusa grpc-server` runs a commit log
	// sync when Enabled; 0 = never.
	SyncInterval time.Duration
}

// CommitlogKeyPrefix starts the [cassandra] keys of the Commitlog settings.
const CommitlogKeyPrefix = "commitlog_"

// Precisions accepted in [cassandra] commitlog_precision (Cassandra's
// TimeUnit names it accepts for restore precision).
var commitlogPrecisions = []string{"MICROSECONDS", "MILLISECONDS", "SECONDS"}

// commitlogKeys are the [cassandra] keys of the Commitlog settings.
func (c *Config) commitlogKeys() []keySpec {
	s := &c.Commitlog
	return []keySpec{
		def("commitlog_archiving", "False", boolV{p: &s.Enabled}),
		def("commitlog_spool_dir", "", absPathV{&s.SpoolDir}),
		def("commitlog_properties_file", "", absPathV{&s.PropertiesFile}),
		def("commitlog_precision", "MICROSECONDS", enumV{&s.Precision, commitlogPrecisions}),
		def("commitlog_retention_grace", "1d", durV{p: &s.RetentionGrace}),
		def("commitlog_restore_dir", "", absPathV{&s.RestoreDir}),
		def("commitlog_sync_interval", "60s", durV{p: &s.SyncInterval}),
	}
}

// commitlogSection is the former [commitlog] section: its keys and where
// they went, for the error that refuses it.
const commitlogSection = "commitlog"

var commitlogMoved = map[string]string{
	"enabled": "commitlog_archiving", "spool_dir": "commitlog_spool_dir",
	"properties_file": "commitlog_properties_file", "precision": "commitlog_precision",
	"retention_grace": "commitlog_retention_grace", "restore_dir": "commitlog_restore_dir",
	"sync_interval": "commitlog_sync_interval",
}

// refuseCommitlogSection: a [commitlog] section is an error, naming where
// each of its keys goes. Python Medusa, which reads the same file, stops
// with a KeyError on a section it does not know.
func (b *build) refuseCommitlogSection(s *iniSection) {
	var moves []string
	for _, k := range s.keys {
		if to, ok := commitlogMoved[k.name]; ok {
			moves = append(moves, k.name+" -> "+to)
		} else {
			moves = append(moves, k.name+" (not a commit log setting)")
		}
	}
	msg := "not a section medusa reads: the commit log settings are keys of [cassandra] with a " +
		CommitlogKeyPrefix + " prefix (enabled is commitlog_archiving), because Python Medusa, " +
		"which reads the same medusa.ini, stops with a KeyError on a section it does not know; " +
		"move the keys into [cassandra] and remove [commitlog]"
	if len(moves) > 0 {
		msg += " (" + strings.Join(moves, ", ") + ")"
	}
	b.probs = append(b.probs, Problem{Line: s.line, Section: commitlogSection, Message: msg})
}

// absPathV is an optional absolute path without spaces (Cassandra splits
// its archive and restore commands on spaces).
type absPathV struct{ p *string }

func (v absPathV) set(raw string) string {
	if raw != "" && !strings.HasPrefix(raw, "/") {
		return "must be an absolute path (or empty for the default)"
	}
	if strings.ContainsAny(raw, " \t") {
		return "must not contain spaces: Cassandra splits archive and restore commands on spaces"
	}
	*v.p = raw
	return ""
}
func (v absPathV) text() string { return *v.p }

// durV is a duration: a Go duration (90m, 36h) or a number of days (1d).
type durV struct{ p *time.Duration }

func (v durV) set(raw string) string {
	if d, ok := strings.CutSuffix(raw, "d"); ok {
		if n, err := strconv.Atoi(d); err == nil && n >= 0 {
			*v.p = time.Duration(n) * 24 * time.Hour
			return ""
		}
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d < 0 {
		return emptyPrefix(raw, "not a duration (use e.g. 1d, 36h or 90m)")
	}
	*v.p = d
	return ""
}

func (v durV) text() string {
	if *v.p%(24*time.Hour) == 0 && *v.p != 0 {
		return strconv.Itoa(int(*v.p/(24*time.Hour))) + "d"
	}
	return v.p.String()
}
