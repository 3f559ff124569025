package cli

import (
	"strings"
	"testing"
)

func TestBackupClusterHelp(t *testing.T) {
	out, code := runBackupCLI(t, t.TempDir(), "backup-cluster", "--help")
	if code != 0 {
		t.Fatalf("--help exited %d: %s", code, out)
	}
	for _, want := range []string{"--backup-name", "--seed-target", "--stagger", "--enable-md5-checks", "--mode",
		"--temp-dir", "--parallel-snapshots int", "(default 500)", "--parallel-uploads int", "(default 1)",
		"--keep-snapshot", "--use-existing-snapshot", "--dry-run", "Exit codes:", "130"} {
		if !strings.Contains(out, want) {
			t.Errorf("--help lacks %q:\n%s", want, out)
		}
	}
	// The node-side commands are hidden from the command list.
	out, _ = runBackupCLI(t, t.TempDir(), "--help")
	for _, hidden := range []string{"node-check", "node-snapshot", "node-clear-snapshot"} {
		if strings.Contains(out, hidden) {
			t.Errorf("medusa --help lists %s", hidden)
		}
	}
	if !strings.Contains(out, "backup-cluster") {
		t.Errorf("medusa --help lacks backup-cluster")
	}
}

// TestBackupClusterUsageErrorsExit2: bad flags fail before medusa.ini is
// read, with exit 2; -ps/-pu are Medusa's short forms.
func TestBackupClusterUsageErrorsExit2(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--mode", "incremental"}, "--mode"},
		{[]string{"-ps", "0"}, "--parallel-snapshots"},
		{[]string{"-pu=0"}, "--parallel-uploads"},
		{[]string{"--stagger", "-1"}, "--stagger"},
		{[]string{"--use-existing-snapshot"}, "requires --backup-name"},
		{[]string{"--backup-name", "a/b"}, "--backup-name"},
	} {
		args := append([]string{"--config-file", "/nonexistent/medusa.ini", "backup-cluster"}, tt.args...)
		out, code := runBackupCLI(t, t.TempDir(), args...)
		if code != 2 || !strings.Contains(out, tt.want) {
			t.Errorf("%v: exit %d, want 2 naming %s:\n%s", tt.args, code, tt.want, out)
		}
	}
}
