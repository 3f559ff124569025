package config

import (
	"strconv"
	"strings"
	"time"
)

// Commitlog is the [commitlog] section (ours): archiving of Cassandra's
// commit log segments for point-in-time restore (docs/pitr.md). Empty paths
// mean the defaults derived from cassandra.yaml at run time.
type Commitlog struct {
	// Enabled: every backup syncs the spool and writes meta/pitr.json.
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

// Precisions accepted in [commitlog] precision (Cassandra's TimeUnit names
// it accepts for restore precision).
var commitlogPrecisions = []string{"MICROSECONDS", "MILLISECONDS", "SECONDS"}

func (c *Config) commitlogSpec() sectionSpec {
	s := &c.Commitlog
	return sectionSpec{"commitlog", []keySpec{
		def("enabled", "False", boolV{p: &s.Enabled}),
		def("spool_dir", "", absPathV{&s.SpoolDir}),
		def("properties_file", "", absPathV{&s.PropertiesFile}),
		def("precision", "MICROSECONDS", enumV{&s.Precision, commitlogPrecisions}),
		def("retention_grace", "1d", durV{p: &s.RetentionGrace}),
		def("restore_dir", "", absPathV{&s.RestoreDir}),
		def("sync_interval", "60s", durV{p: &s.SyncInterval}),
	}}
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
