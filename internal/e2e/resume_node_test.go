package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/backup"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/testbed"
)

// buildMedusa builds the medusa binary into a temporary directory.
func buildMedusa(t *testing.T) string {
	t.Helper()
	bin, err := testbed.BuildMedusa(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// TestKilledBackupResumes kills a real `medusa backup` process (kill -9)
// while it uploads (a slow bandwidth cap), then runs the same backup name
// again: it resumes, uploads only the files the killed run did not store,
// clears nothing it needs (the killed run's snapshot is backed up, then
// cleared), and the backup verifies.
func TestKilledBackupResumes(t *testing.T) {
	n := testNode(t)
	bin := buildMedusa(t)
	srv := testbed.S3T(t)
	dir := t.TempDir()
	const prefix = "killed"
	ini := filepath.Join(dir, "medusa.ini")
	err := testbed.MedusaINI{S3: srv, User: srv.Restricted, Bucket: srv.Bucket, Prefix: prefix, Node: n,
		FQDN: n.Host, KeyFile: filepath.Join(dir, "credentials"),
		Extra: map[string]map[string]string{"storage": {"transfer_max_bandwidth": "256KB/s",
			"concurrent_transfers": "1"}}}.Write(ini)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	m := &nodeMedusa{t: t, ini: ini, tmp: tmp}
	m.cs = &cliStore{ini: ini, prefix: prefix, fqdn: n.Host, tmp: tmp}
	m.cs.b = openINIStorage(t, ini, m.cs.getenv)
	l := layout.New(prefix)

	cmd := exec.CommandContext(t.Context(), bin, "--config-file", ini, "backup", "--backup-name", "k1")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pool := l.PoolPrefix(n.Host)
	deadline := time.Now().Add(3 * time.Minute)
	for len(listing(t, m.cs.b, pool)) < 3 {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("the backup stored fewer than 3 files in 3 minutes:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	stored := len(listing(t, m.cs.b, pool))
	if _, err := m.cs.b.Stat(t.Context(), l.ManifestKey(n.Host, "k1")); err == nil {
		t.Fatalf("the killed backup wrote its manifest:\n%s", out.String())
	}
	if len(snapshotDirsLeft(t, n, "medusa-k1")) == 0 {
		t.Fatal("the killed backup left no snapshot: the snapshot clean-up is not exercised")
	}
	if _, err := os.Stat(filepath.Join(tmp, backup.MarkerName)); err != nil {
		t.Fatalf("the killed backup left no in-progress marker: %v", err)
	}
	if o, code := m.run("backup", "--backup-name", "k1"); code != 0 || !strings.Contains(o, "Resuming backup k1") {
		t.Fatalf("re-run exited %d:\n%s", code, o)
	} else {
		total := 0
		for _, s := range readManifest(t, m.cs.b, l.ManifestKey(n.Host, "k1")) {
			total += len(s.Objects)
		}
		copied := summaryCount(t, o, `- (\d+) files copied from host`)
		kept := summaryCount(t, o, `- (\d+) kept from previous backups`)
		t.Logf("killed after %d of %d files; the re-run copied %d, kept %d", stored, total, copied, kept)
		if kept != stored || copied != total-stored {
			t.Errorf("re-run copied %d and kept %d of %d files; the killed run had stored %d:\n%s", copied,
				kept, total, stored, o)
		}
		if !strings.Contains(o, "Snapshot already exists, backing it up") {
			t.Errorf("the re-run did not back up the killed run's snapshot:\n%s", o)
		}
	}
	if left := snapshotDirsLeft(t, n, "medusa-k1"); len(left) != 0 {
		t.Errorf("snapshot medusa-k1 still there after the re-run: %v", left)
	}
	if o := m.must("verify", "--backup-name", "k1", "--enable-md5-checks"); !strings.Contains(o,
		"Manifest validated: OK!!") {
		t.Errorf("verify:\n%s", o)
	}
	if o, code := m.run("backup", "--backup-name", "k1"); code != 1 || !strings.Contains(o, "already exists and is complete") {
		t.Errorf("a third run of k1 exited %d, want 1 with 'already exists':\n%s", code, o)
	}
}

func summaryCount(t *testing.T, out, pattern string) int {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("output lacks %q:\n%s", pattern, out)
	}
	v, _ := strconv.Atoi(m[1])
	return v
}
