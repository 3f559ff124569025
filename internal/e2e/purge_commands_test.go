package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/cli"
	"github.com/medusa-go/medusa/internal/testbed"
)

// TestPurgeCommandsOnLocalStorage runs purge and delete-backup in-process on
// synthetic backups in local storage (no Cassandra needed): exit codes,
// --dry-run, the summary on stdout.
func TestPurgeCommandsOnLocalStorage(t *testing.T) {
	f := testbed.NewLocalBucket(t, "p")
	f.FourBackups()
	dir := t.TempDir()
	ini := filepath.Join(dir, "medusa.ini")
	base := filepath.Dir(f.Root)
	if err := (testbed.MedusaINI{Bucket: "bucket", Prefix: "p", BasePath: base, FQDN: "n1",
		Extra: map[string]map[string]string{"storage": {"max_backup_count": "2"}}}).Write(ini); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, int) {
		var out bytes.Buffer
		code := cli.Execute(t.Context(), cli.Env{Args: append([]string{"--config-file", ini}, args...),
			Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }})
		return out.String(), code
	}
	before := f.Keys()
	if out, code := run("delete-backup", "--backup-name", "b4", "--backup-name", "nope"); code != 1 ||
		!strings.Contains(out, "nope") {
		t.Errorf("delete-backup of an unknown backup exited %d:\n%s", code, out)
	}
	if out, code := run("delete-backup"); code != 2 {
		t.Errorf("delete-backup without --backup-name exited %d:\n%s", code, out)
	}
	if out, code := run("delete-backup", "-a", "-c", "--backup-name", "b4"); code != 2 {
		t.Errorf("delete-backup -a -c exited %d:\n%s", code, out)
	}
	out, code := run("delete-backup", "--backup-name", "b4", "--dry-run")
	if code != 0 || !strings.Contains(out, "backup b4 of n1 would be deleted (named by delete-backup)") {
		t.Errorf("delete-backup --dry-run exited %d:\n%s", code, out)
	}
	if out, code := run("purge", "--dry-run"); code != 0 || !strings.Contains(out, "Backups that would be purged: 2") {
		t.Errorf("purge --dry-run exited %d:\n%s", code, out)
	}
	if !slices.Equal(before, f.Keys()) {
		t.Fatal("failed or dry runs changed the bucket")
	}
	// The run's defaults: the 10-day grace period keeps the young file.
	out, code = run("purge")
	if code != 0 || !strings.Contains(out, "Backups purged: 2") ||
		!strings.Contains(out, "Objects kept by the 10-day grace period: 1") {
		t.Errorf("purge exited %d:\n%s", code, out)
	}
	out, code = run("--backup-grace-period-in-days", "0", "delete-backup", "-a", "--backup-name", "b1")
	if code != 0 || !strings.Contains(out, "backup b1 of n2 deleted") || f.Exists(f.Pool("n1", "ks/t-1/young")) {
		t.Errorf("delete-backup -a exited %d:\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(base, "bucket", "p", "n2", "b1")); !os.IsNotExist(err) {
		t.Errorf("n2's backup directory: %v", err)
	}
}
