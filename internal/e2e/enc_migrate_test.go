package e2e

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/medusa-go/medusa/internal/testbed"
)

// TestEncMigrate encrypts plain backups of the shared node on the real S3
// server with medusa encrypt-backups: a full backup and two differential
// ones sharing pool objects, stored in multipart uploads. Before, a
// medusa.ini with the key ring is refused on the plain prefix (naming
// encrypt-backups) and a dry run changes nothing. After, every data object
// is ciphertext at rest under a table directory tagged "enc" and no plain
// one is left; list-backups, status, verify and verify --deep pass through
// the key ring; downloads are byte for byte those taken before; a plain
// medusa.ini is refused; Python Medusa's list-backups still lists the
// backups; a new differential backup reuses every encrypted pool object;
// and a second run has nothing to do.
func TestEncMigrate(t *testing.T) {
	n := testNode(t)
	srv := testbed.S3T(t)
	dir := t.TempDir()
	ring := writeKeyRing(t, 0o600)
	const prefix = "encmig"
	mi := testbed.MedusaINI{S3: srv, User: srv.Restricted, Bucket: srv.Bucket, Prefix: prefix, Node: n,
		FQDN: n.Host, KeyFile: filepath.Join(dir, "credentials"), Extra: map[string]map[string]string{
			"storage": {"multi_part_upload_threshold": "16KB", "concurrent_transfers": "4"}}}
	plainINI := filepath.Join(dir, "plain.ini")
	if err := mi.Write(plainINI); err != nil {
		t.Fatal(err)
	}
	mi.Extra = map[string]map[string]string{"storage": {"multi_part_upload_threshold": "16KB",
		"concurrent_transfers": "4", "encryption_key_file": ring}}
	encINI := filepath.Join(dir, "medusa.ini")
	if err := mi.Write(encINI); err != nil {
		t.Fatal(err)
	}
	plain := &cliStore{ini: plainINI, prefix: prefix, fqdn: n.Host, tmp: t.TempDir()}
	plain.b = openINIStorage(t, plainINI, plain.getenv)
	enc := &cliStore{ini: encINI, prefix: prefix, fqdn: n.Host, tmp: t.TempDir()}

	plain.mustMedusa(t, "backup", "--backup-name", "m1", "--mode", "full")
	plain.mustMedusa(t, "backup", "--backup-name", "m2", "--mode", "differential")
	plain.mustMedusa(t, "backup", "--backup-name", "m3", "--mode", "differential")
	before := map[string]string{}
	for _, name := range []string{"m1", "m3"} {
		before[name] = t.TempDir()
		plain.mustMedusa(t, "download", "--backup-name", name, "--download-destination", before[name])
	}

	if out, code := enc.medusa(t, "list-backups"); code == 0 || !strings.Contains(out, "encrypt-backups") {
		t.Errorf("list-backups with a key ring on the plain prefix exited %d, want a refusal naming encrypt-backups:\n%s", code, out)
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range listing(t, plain.b, prefix+"/") {
			if !yield(k) {
				return
			}
		}
	})
	out := enc.mustMedusa(t, "encrypt-backups", "--dry-run")
	if !strings.Contains(out, "Would encrypt 3 node backup(s)") || !strings.Contains(out, "Nothing was changed") {
		t.Errorf("dry run:\n%s", out)
	}
	if got := listing(t, plain.b, prefix+"/"); len(got) != len(keys) {
		t.Errorf("the dry run changed the bucket: %d keys, before %d", len(got), len(keys))
	}

	// A data object whose bytes changed behind a kept size stops the run
	// before it is sealed, named (sealing it would make the damage
	// authentic); with the object put back, the next run resumes.
	admin := srv.Client(srv.Admin)
	victim := ""
	for _, k := range keys {
		if strings.Contains(k, "/m1/data/") && strings.HasSuffix(k, "-TOC.txt") {
			victim = k
			break
		}
	}
	if victim == "" {
		t.Fatal("no TOC.txt in backup m1")
	}
	original := getObject(t, admin, srv.Bucket, victim)
	changed := slices.Clone(original)
	changed[0] ^= 0x20
	putObject(t, admin, srv.Bucket, victim, changed)
	if out, code := enc.medusa(t, "encrypt-backups", "--temp-dir", t.TempDir()); code != 1 ||
		!strings.Contains(out, victim) || !strings.Contains(out, "changed since the backup") {
		t.Fatalf("encrypt-backups over a changed object exited %d, want 1 naming %s:\n%s", code, victim, out)
	}
	putObject(t, admin, srv.Bucket, victim, original)

	start := time.Now()
	out = enc.mustMedusa(t, "encrypt-backups", "--temp-dir", t.TempDir())
	t.Logf("encrypt-backups (%.1f s):\n%s", time.Since(start).Seconds(), out)
	if !strings.Contains(out, "Encrypted 3 node backup(s)") || !strings.Contains(out, "The prefix is encrypted") {
		t.Errorf("encrypt-backups:\n%s", out)
	}

	// At rest: every data object is ciphertext under a table directory
	// tagged "enc"; the plain ones are gone.
	sealed := 0
	for k := range listing(t, plain.b, prefix+"/"+n.Host+"/") {
		if !strings.Contains(k, "/data/") {
			continue
		}
		obj, err := admin.GetObject(t.Context(), &awss3.GetObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String(k),
			Range: aws.String("bytes=0-6")})
		if err != nil {
			t.Fatal(err)
		}
		head, err := io.ReadAll(obj.Body)
		obj.Body.Close()
		if err != nil || string(head) != "MDSAENC" || !strings.Contains(k, ".enc/") {
			t.Errorf("data object %s is not an encrypted copy (%q, %v)", k, head, err)
		}
		sealed++
	}
	if sealed < 10 {
		t.Fatalf("only %d data objects after the migration", sealed)
	}

	enc.b = openINIStorage(t, encINI, enc.getenv)
	checkListedAndVerified(t, enc, "m1", "m2", "m3")
	for _, name := range []string{"m1", "m3"} {
		if out := enc.mustMedusa(t, "verify", "--backup-name", name, "--deep"); !strings.Contains(out, "Manifest validated: OK!!") {
			t.Errorf("verify --deep %s:\n%s", name, out)
		}
		after := t.TempDir()
		enc.mustMedusa(t, "download", "--backup-name", name, "--download-destination", after)
		sameTree(t, before[name], after)
	}

	if out, code := plain.medusa(t, "download", "--backup-name", "m3", "--download-destination", t.TempDir()); code == 0 ||
		!strings.Contains(out, "encryption_key_file") {
		t.Errorf("download without the key ring exited %d, want a refusal:\n%s", code, out)
	}
	py := testbed.PyMedusa{Exe: testbed.PyMedusaT(t), Config: encINI, Dir: t.TempDir()}
	if out, errOut, err := py.Run(t.Context(), "list-backups"); err != nil || !strings.Contains(out, "m1 (started") ||
		!strings.Contains(out, "m3 (started") {
		t.Errorf("Python list-backups of the encrypted prefix: %v\n%s\n%s", err, out, errOut)
	}

	// The pool's encrypted objects are reused (stored after the files were
	// written).
	pool := listing(t, enc.b, prefix+"/"+n.Host+"/data/")
	enc.mustMedusa(t, "backup", "--backup-name", "m4", "--mode", "differential")
	for k := range listing(t, enc.b, prefix+"/"+n.Host+"/data/") {
		if _, ok := pool[k]; !ok && strings.Contains(k, "/fx_shop/") {
			t.Errorf("the backup after the migration uploaded %s instead of reusing its encrypted copy", k)
		}
	}

	if out := enc.mustMedusa(t, "encrypt-backups"); !strings.Contains(out, "already encrypted") {
		t.Errorf("second run:\n%s", out)
	}
}

// sameTree fails unless the regular files under a and b are the same, byte
// for byte, but the manifest.json download writes (which names the new
// keys after the migration).
func sameTree(t *testing.T, a, b string) {
	t.Helper()
	files := func(root string) map[string][]byte {
		out := map[string][]byte{}
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			rel, _ := filepath.Rel(root, p)
			out[rel] = data
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	fa, fb := files(a), files(b)
	if len(fa) < 10 || len(fa) != len(fb) {
		t.Errorf("%d files downloaded before, %d after", len(fa), len(fb))
	}
	for rel, data := range fa {
		if rel != "manifest.json" && !bytes.Equal(fb[rel], data) {
			t.Errorf("%s differs after the migration", rel)
		}
	}
}
