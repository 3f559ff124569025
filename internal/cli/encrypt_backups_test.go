package cli

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEncryptBackupsCLI: encrypt-backups without a key ring is a
// configuration error (exit 2); an unfinished backup refuses it (exit 1,
// nothing written); on finished backups of three nodes it encrypts them
// all, after which verify --deep and list-backups work through the ring
// and a second run has nothing to do.
func TestEncryptBackupsCLI(t *testing.T) {
	t.Parallel()
	ring := filepath.Join(t.TempDir(), "backup.keys")
	if err := os.WriteFile(ring, []byte("k1 = "+base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32)))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	f := newCatFixture(t, "")
	f.populate(t)
	if _, errOut, code := f.run(t, nil, "encrypt-backups"); code != 2 || !strings.Contains(errOut, "encryption_key_file") {
		t.Errorf("without a key ring: exit %d, want 2 naming encryption_key_file:\n%s", code, errOut)
	}

	f = newCatFixture(t, "encryption_key_file = "+ring+"\n")
	f.populate(t)
	if _, errOut, code := f.run(t, nil, "encrypt-backups"); code != 1 ||
		!strings.Contains(errOut, "backup b1 of node n2.example.com is unfinished") || !strings.Contains(errOut, "nothing was encrypted") {
		t.Errorf("with an unfinished backup: exit %d, want 1 naming it:\n%s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(f.b.Root(), fxPrefix, "index", "medusa_encryption.json")); err == nil {
		t.Error("the refused run wrote the marker")
	}

	f = newCatFixture(t, "encryption_key_file = "+ring+"\n")
	for _, h := range fxHosts {
		f.node(t, "b2", h, fxT0+fxDay, true, false)
		f.node(t, "b3", h, fxT0+2*fxDay, true, true)
	}
	if out, errOut, code := f.run(t, nil, "encrypt-backups", "--dry-run"); code != 0 || !strings.Contains(out, "Would encrypt 6 node backup(s)") {
		t.Errorf("dry run: exit %d:\n%s%s", code, out, errOut)
	}
	out, errOut, code := f.run(t, nil, "encrypt-backups", "--temp-dir", t.TempDir())
	if code != 0 || !strings.Contains(out, "Encrypted 6 node backup(s): 12 data object(s)") {
		t.Fatalf("encrypt-backups: exit %d:\n%s%s", code, out, errOut)
	}
	for _, name := range []string{"b2", "b3"} {
		if out, errOut, code := f.run(t, nil, "verify", "--backup-name", name, "--deep"); code != 0 || !strings.Contains(out, "Manifest validated: OK!!") {
			t.Errorf("verify --deep %s: exit %d:\n%s%s", name, code, out, errOut)
		}
	}
	if out, errOut, code := f.run(t, nil, "list-backups"); code != 0 || !strings.Contains(out, "b3 (started") {
		t.Errorf("list-backups: exit %d:\n%s%s", code, out, errOut)
	}
	if out, _, code := f.run(t, nil, "encrypt-backups"); code != 0 || !strings.Contains(out, "already encrypted") {
		t.Errorf("second run: exit %d:\n%s", code, out)
	}
}

// TestMigratingPrefixRefusesPurge: while the marker records an unfinished
// encrypt-backups run, purge and purge-decommissioned (which may run from
// a schedule) refuse the prefix without a key ring, deleting nothing.
func TestMigratingPrefixRefusesPurge(t *testing.T) {
	t.Parallel()
	f := newCatFixture(t, "max_backup_count = 1\n")
	f.populate(t)
	marker := filepath.Join(f.b.Root(), fxPrefix, "index", "medusa_encryption.json")
	if err := os.WriteFile(marker, []byte(`{"mode":"client-side","format":1,"migration":"in-progress"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	before := countFiles(t, f.b.Root())
	for _, args := range [][]string{{"purge"}, {"purge-decommissioned"}} {
		if _, errOut, code := f.run(t, nil, args...); code != 1 || !strings.Contains(errOut, "being encrypted") ||
			!strings.Contains(errOut, "encrypt-backups") {
			t.Errorf("%s on a migrating prefix: exit %d, want 1 naming the migration:\n%s", args[0], code, errOut)
		}
	}
	if after := countFiles(t, f.b.Root()); after != before {
		t.Errorf("the refused commands changed the store: %d files before, %d after", before, after)
	}
}

// countFiles counts the regular files under dir.
func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
