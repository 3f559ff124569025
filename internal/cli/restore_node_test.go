package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// restoreCLIFixture is a local bucket with the catalog fixture's backups
// and a node (cassandra.yaml, data directory) that never runs: enough for
// the command line, dry runs and downloads.
func restoreCLIFixture(t *testing.T) (*catFixture, string) {
	t.Helper()
	node := t.TempDir()
	yaml := filepath.Join(node, "cassandra.yaml")
	data := filepath.Join(node, "data")
	if err := os.MkdirAll(filepath.Join(data, "ks", "t-0123456789abcdef0123456789abcdef"), 0o755); err != nil {
		t.Fatal(err)
	}
	content := "data_file_directories:\n  - " + data + "\ncommitlog_directory: " + filepath.Join(node, "commitlog") +
		"\nlisten_address: 127.0.0.1\nnative_transport_port: 1\nstorage_port: 2\n"
	if err := os.WriteFile(yaml, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	f := newCatFixture(t, "use_sudo_for_restore = False\n[cassandra]\nconfig_file = "+yaml+
		"\nstart_cmd = false\nstop_cmd = false\n")
	f.populate(t)
	return f, data
}

func TestRestoreNodeCommandLine(t *testing.T) {
	f, data := restoreCLIFixture(t)
	tmp := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"backup name required", []string{"restore-node"}, 2, "missing option --backup-name"},
		{"in place or remote", []string{"restore-node", "--backup-name", "b2", "--in-place", "--remote"}, 2, "exclude each other"},
		{"keep-auth needs remote", []string{"restore-node", "--backup-name", "b2", "--keep-auth", "--temp-dir", tmp}, 1,
			"cannot keep system_auth when restoring in place"},
		{"unknown backup", []string{"restore-node", "--backup-name", "nope", "--temp-dir", tmp}, 1, "no such backup"},
		{"unfinished backup", []string{"restore-node", "--backup-name", "b1", "--fqdn", "n2.example.com", "--temp-dir", tmp}, 1,
			"is not finished"},
		{"unknown keyspace", []string{"restore-node", "--backup-name", "b2", "--keyspace", "nope", "--temp-dir", tmp}, 1,
			"holds no keyspace nope (it holds the tables ks.t): nothing was changed"},
		{"bad table", []string{"restore-node", "--backup-name", "b2", "--table", "justatable", "--temp-dir", tmp}, 1,
			"use <keyspace>.<table>"},
		{"dry run", []string{"restore-node", "--backup-name", "b2", "--dry-run", "--temp-dir", tmp}, 0,
			"replaces " + filepath.Join(data, "ks", "t-0123456789abcdef0123456789abcdef")},
		{"remote dry run", []string{"restore-node", "--backup-name", "b2", "--remote", "--dry-run", "--temp-dir", tmp}, 0,
			"initial_token: -9223372036854775808,0"},
		{"download needs a destination", []string{"download", "--backup-name", "b2"}, 2, "--download-destination"},
		{"download into a missing directory", []string{"download", "--backup-name", "b2", "--download-destination",
			filepath.Join(tmp, "missing")}, 1, "is not a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := f.run(t, nil, tc.args...)
			if code != tc.code || !strings.Contains(stdout+stderr, tc.want) {
				t.Fatalf("exit %d, want %d and %q:\n%s%s", code, tc.code, tc.want, stdout, stderr)
			}
		})
	}
	if entries, _ := os.ReadDir(tmp); len(entries) > 1 {
		t.Errorf("the commands left files in the temporary directory: %v", entries)
	}
}

func TestDownloadCommandLine(t *testing.T) {
	f, _ := restoreCLIFixture(t)
	dest := t.TempDir()
	stdout, stderr, code := f.run(t, nil, "download", "--backup-name", "b2", "--download-destination", dest)
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, stdout, stderr)
	}
	for _, p := range []string{"manifest.json", "schema.cql", "tokenmap.json",
		"ks/t-0123456789abcdef0123456789abcdef/nb-1-big-Data.db", "ks/t-0123456789abcdef0123456789abcdef/nb-1-big-Statistics.db"} {
		if _, err := os.Stat(filepath.Join(dest, filepath.FromSlash(p))); err != nil {
			t.Errorf("download lacks %s: %v", p, err)
		}
	}
}

func TestRestorePITRFlags(t *testing.T) {
	tests := []struct {
		name   string
		f      restoreFlags
		target string // RFC 3339 UTC, "" when none
		latest bool
		errHas string
	}{
		{name: "none", f: restoreFlags{}},
		{name: "utc", f: restoreFlags{pitr: "2026-05-01T12:00:00.000250Z"}, target: "2026-05-01T12:00:00.00025Z"},
		{name: "offset", f: restoreFlags{pitr: "2026-05-01T14:00:00+02:00"}, target: "2026-05-01T12:00:00Z"},
		{name: "latest", f: restoreFlags{pitrLatest: true}, latest: true},
		{name: "both", f: restoreFlags{pitr: "2026-05-01T12:00:00Z", pitrLatest: true}, errHas: "exclude each other"},
		{name: "not a time", f: restoreFlags{pitr: "yesterday"}, errHas: "not an RFC 3339 time"},
		{name: "no zone", f: restoreFlags{pitr: "2026-05-01T12:00:00"}, errHas: "not an RFC 3339 time"},
		{name: "with a table", f: restoreFlags{pitr: "2026-05-01T12:00:00Z", tables: []string{"ks.t"}}, errHas: "--table"},
		{name: "skew alone", f: restoreFlags{pitrSkew: time.Minute}, errHas: "--pitr-skew and --pitr-single-node go with --pitr"},
		{name: "single node alone", f: restoreFlags{pitrSingle: true}, errHas: "go with --pitr"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := tc.f.options()
			if tc.errHas != "" {
				var ue usageError
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("error %v, want a usage error with %q", err, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.target == "" && !tc.latest:
				if o.PITR != nil {
					t.Errorf("PITR %+v without --pitr", o.PITR)
				}
			case o.PITR == nil:
				t.Fatal("no PITR options")
			case o.PITR.Latest != tc.latest:
				t.Errorf("latest %v", o.PITR.Latest)
			case tc.target != "" && o.PITR.Target.Format(time.RFC3339Nano) != tc.target:
				t.Errorf("target %s, want %s", o.PITR.Target.Format(time.RFC3339Nano), tc.target)
			}
		})
	}
}
