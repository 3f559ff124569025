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
