package config

import (
	"strings"
	"testing"
	"time"
)

// TestCommitlogKeysInCassandra: the commit log settings are [cassandra]
// commitlog_* keys (a section Python Medusa knows), with no warning.
func TestCommitlogKeysInCassandra(t *testing.T) {
	t.Parallel()
	cfg, warns := mustParse(t, validINI+"[cassandra]\ncommitlog_archiving = True\n"+
		"commitlog_spool_dir = /var/lib/cassandra/spool\ncommitlog_properties_file = /etc/cassandra/cla.properties\n"+
		"commitlog_precision = MILLISECONDS\ncommitlog_retention_grace = 2d\n"+
		"commitlog_restore_dir = /var/lib/cassandra/commitlog/r\ncommitlog_sync_interval = 0s\n", Overrides{}, nil)
	if len(warns) != 0 {
		t.Errorf("warnings: %v", warningLines(warns))
	}
	want := Commitlog{Enabled: true, SpoolDir: "/var/lib/cassandra/spool", PropertiesFile: "/etc/cassandra/cla.properties",
		Precision: "MILLISECONDS", RetentionGrace: 48 * time.Hour, RestoreDir: "/var/lib/cassandra/commitlog/r"}
	if cfg.Commitlog != want {
		t.Errorf("Commitlog = %+v, want %+v", cfg.Commitlog, want)
	}
}

// TestCommitlogSectionRefused: a [commitlog] section is an error naming
// the file, its line, the section, where each key goes and why.
func TestCommitlogSectionRefused(t *testing.T) {
	t.Parallel()
	_, _, err := parseText(t, validINI+"[commitlog]\nenabled = true\nspool_dir = /s\nfoo = 1\n", Overrides{}, nil)
	lines := problemLines(t, err)
	if len(lines) != 1 {
		t.Fatalf("problems: %q", lines)
	}
	for _, want := range []string{"medusa.ini:5: [commitlog]: not a section medusa reads", "keys of [cassandra]",
		"Python Medusa", "KeyError", "enabled -> commitlog_archiving", "spool_dir -> commitlog_spool_dir",
		"foo (not a commit log setting)"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("problem %q lacks %q", lines[0], want)
		}
	}
	// An empty [commitlog] is refused too: Python Medusa refuses it.
	if _, _, err := parseText(t, validINI+"[commitlog]\n", Overrides{}, nil); err == nil {
		t.Error("an empty [commitlog] section was accepted")
	}
}

// TestCommitlogKeyProblems: bad values are named as [cassandra] keys.
func TestCommitlogKeyProblems(t *testing.T) {
	t.Parallel()
	_, _, err := parseText(t, validINI+"[cassandra]\ncommitlog_spool_dir = spool\n"+
		"commitlog_properties_file = /a b\ncommitlog_precision = NANOSECONDS\ncommitlog_retention_grace = soon\n", Overrides{}, nil)
	got := strings.Join(problemLines(t, err), "\n")
	for _, want := range []string{
		`[cassandra] commitlog_spool_dir = "spool": must be an absolute path`,
		`[cassandra] commitlog_properties_file = "/a b": must not contain spaces`,
		`[cassandra] commitlog_precision = "NANOSECONDS"`,
		`[cassandra] commitlog_retention_grace = "soon": not a duration`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
}
