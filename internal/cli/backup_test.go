package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/medusa-go/medusa/internal/backup"
)

// runBackupCLI runs medusa in-process with TZ=UTC and TMPDIR=tmp.
func runBackupCLI(t *testing.T, tmp string, args ...string) (stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string {
		switch k {
		case "TZ":
			return "UTC"
		case "TMPDIR":
			return tmp
		}
		return ""
	}
	code = Execute(t.Context(), Env{Args: args, Stdout: &out, Stderr: &errOut, Getenv: getenv})
	return out.String() + errOut.String(), code
}

func TestBackupHelpDocumentsFlagsDefaultsAndExitCodes(t *testing.T) {
	for _, name := range []string{"backup", "backup-node"} {
		out, code := runBackupCLI(t, t.TempDir(), name, "--help")
		if code != 0 {
			t.Fatalf("%s --help exited %d: %s", name, code, out)
		}
		for _, want := range []string{
			"--backup-name", "YYYYMMDDHHMM", "--stagger", "--enable-md5-checks",
			`--mode string`, `(default "differential")`, "--keep-snapshot", "--use-existing-snapshot",
			"Aliases:", "backup-node", "Exit codes:", "130",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("%s --help lacks %q:\n%s", name, want, out)
			}
		}
	}
}

func TestBackupUsageErrorsExit2(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--mode", "incremental"}, "--mode"},
		{[]string{"--use-existing-snapshot"}, "requires --backup-name"},
		{[]string{"--stagger", "-5"}, "--stagger"},
		{[]string{"--backup-name", "a/b"}, "--backup-name"},
		{[]string{"--stagger", "soon"}, "--stagger"},
		{[]string{"extra-arg"}, "unknown command"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			args := append([]string{"--config-file", filepath.Join(t.TempDir(), "missing.ini"), "backup"}, tc.args...)
			out, code := runBackupCLI(t, t.TempDir(), args...)
			if code != 2 || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, output %q; want 2 and %q", code, out, tc.want)
			}
		})
	}
}

func TestBackupOptionsFromFlags(t *testing.T) {
	tmp := t.TempDir()
	r := newRoot(Env{Getenv: func(k string) string {
		return map[string]string{"TZ": "UTC", "TMPDIR": tmp}[k]
	}})
	var got backup.Options
	var gotErr error
	cmd := r.cmd
	for _, c := range cmd.Commands() {
		if c.Name() == "backup" {
			c.RunE = func(c *cobra.Command, _ []string) error {
				f := backupFlags{}
				f.name, _ = c.Flags().GetString("backup-name")
				f.mode, _ = c.Flags().GetString("mode")
				f.stagger, _ = c.Flags().GetInt("stagger")
				f.md5Checks, _ = c.Flags().GetBool("enable-md5-checks")
				got, gotErr = r.backupOptions(c, f)
				return gotErr
			}
		}
	}
	cmd.SetArgs([]string{"backup", "--stagger", "90", "--enable-md5-checks"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^20\d{10}$`).MatchString(got.Name) {
		t.Errorf("default backup name %q, want local time as YYYYMMDDHHMM", got.Name)
	}
	if got.Mode != backup.Differential || got.Stagger.Seconds() != 90 || !got.MD5Checks || got.LockDir != tmp {
		t.Errorf("options %+v", got)
	}
	if _, err := os.Stat(tmp); err != nil {
		t.Fatal(err)
	}
}

func TestBackupReportsMissingCassandraYAML(t *testing.T) {
	dir := t.TempDir()
	ini := filepath.Join(dir, "medusa.ini")
	content := "[storage]\nstorage_provider = local\nbucket_name = bucket\nbase_path = " + dir +
		"\nfqdn = node1.example.com\n[cassandra]\nconfig_file = " + filepath.Join(dir, "nope.yaml") +
		"\n[monitoring]\nmonitoring_provider = local\n"
	if err := os.WriteFile(ini, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir) // the local monitoring provider writes ./metrics.json
	out, code := runBackupCLI(t, dir, "--config-file", ini, "backup", "--backup-name", "b1")
	if code != 1 || !strings.Contains(out, "cassandra.yaml") || !strings.Contains(out, "config_file") {
		t.Fatalf("exit %d, output %q; want 1 and a message naming cassandra.yaml and config_file", code, out)
	}
	metrics, err := os.ReadFile(filepath.Join(dir, "metrics.json"))
	if err != nil || !strings.Contains(string(metrics), `"medusa-node-backup", "backup-error", "b1"`) ||
		!strings.Contains(string(metrics), `"value": 1`) {
		t.Fatalf("metrics.json = %q (%v), want backup-error 1 for b1", metrics, err)
	}
}
