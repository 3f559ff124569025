package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/cli"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage/local"
)

// TestBackupCommand runs `medusa backup` in-process against the test-bed
// node with local storage: the whole wiring from medusa.ini (cassandra.yaml,
// nodetool, CQL, storage) to a finished backup.
func TestBackupCommand(t *testing.T) {
	n := testNode(t)
	dir := t.TempDir()
	ini := filepath.Join(dir, "medusa.ini")
	content := "[storage]\nstorage_provider = local\nbucket_name = bucket\nbase_path = " + dir +
		"\nfqdn = " + itFQDN + "\nprefix = cli\nconcurrent_transfers = 3\n" +
		"[cassandra]\nconfig_file = " + n.ConfigFile + "\nnodetool_executable = " + n.NodetoolPath + "\n"
	if err := os.WriteFile(ini, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	medusa := func(args ...string) (string, int) {
		var out bytes.Buffer
		getenv := func(k string) string {
			return map[string]string{"TMPDIR": tmp, "TZ": "UTC"}[k]
		}
		code := cli.Execute(t.Context(), cli.Env{Args: append([]string{"--config-file", ini}, args...),
			Stdout: &out, Stderr: &out, Getenv: getenv})
		return out.String(), code
	}
	b, err := local.New(local.Options{BasePath: dir, Bucket: "bucket"})
	if err != nil {
		t.Fatal(err)
	}
	l := layout.New("cli")

	out, code := medusa("backup", "--backup-name", "cli1", "--mode", "full")
	if code != 0 {
		t.Fatalf("backup exited %d:\n%s", code, out)
	}
	m := readManifest(t, b, l.ManifestKey(itFQDN, "cli1"))
	if size, objects := m.Stats(); objects == 0 || size == 0 {
		t.Fatalf("manifest of cli1 lists %d objects, %d bytes", objects, size)
	}
	checkIndex(t, l, b, map[string]bool{"cli1": false})
	if left := snapshotDirsLeft(t, n, "medusa-cli1"); len(left) > 0 {
		t.Errorf("snapshot medusa-cli1 not cleared: %v", left[0])
	}
	for _, want := range []string{"Backup done", "files copied from host"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	out, code = medusa("backup-node", "--backup-name", "cli1")
	if code != 1 || !strings.Contains(out, "Backup cli1 already exists") {
		t.Fatalf("second backup cli1: exit %d, want 1 and 'already exists':\n%s", code, out)
	}

	if _, err := n.Nodetool(t.Context(), "snapshot", "-t", "mysnap"); err != nil {
		t.Fatal(err)
	}
	out, code = medusa("backup", "--backup-name", "mysnap", "--use-existing-snapshot", "--keep-snapshot")
	if code != 0 {
		t.Fatalf("backup of an existing snapshot exited %d:\n%s", code, out)
	}
	if left := snapshotDirsLeft(t, n, "mysnap"); len(left) == 0 {
		t.Error("--keep-snapshot: snapshot mysnap was cleared")
	}
	if _, err := n.Nodetool(t.Context(), "clearsnapshot", "-t", "mysnap"); err != nil {
		t.Fatal(err)
	}
	checkIndex(t, l, b, map[string]bool{"cli1": false, "mysnap": true})
	if got := listKeys(t, b, l.LatestBackupNameKey(itFQDN)); len(got) != 1 {
		t.Fatalf("latest backup marker: %v", got)
	}
}
