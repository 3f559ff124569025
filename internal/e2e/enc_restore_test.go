package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/medusa-go/medusa/internal/check"
	"github.com/medusa-go/medusa/internal/crypt"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/testbed"
)

// TestEncRestoreInPlace restores an encrypted backup in place on the
// shared node (Cassandra stopped, files replaced, started again), not
// through sstableloader: backup E1 with key k1; rows written and flushed;
// the ring rotated to k2; differential backup E2; rows again; then
// encryption_kms_key_id (an alias of a key of moto's KMS) next to the
// ring: differential backup E3 reuses objects sealed with k1 and k2 and
// seals its new files with one KMS data key (medusa check passes,
// kms:Decrypt included); data lost (rows deleted, a table truncated);
// restore-node E3 in place decrypts with the three keys and every fixture
// table has E3's rows again.
func TestEncRestoreInPlace(t *testing.T) {
	n := testNode(t)
	srv := testbed.S3T(t)
	dir := t.TempDir()
	newKey := func() string {
		k := make([]byte, crypt.KeySize)
		if _, err := rand.Read(k); err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(k)
	}
	ring := filepath.Join(dir, "backup.keys")
	k1 := "k1 = " + newKey() + "\n"
	if err := os.WriteFile(ring, []byte(k1), 0o600); err != nil {
		t.Fatal(err)
	}
	const prefix = "encinplace"
	ini := filepath.Join(dir, "medusa.ini")
	err := testbed.MedusaINI{S3: srv, User: srv.Restricted, Bucket: srv.Bucket, Prefix: prefix, Node: n,
		FQDN: n.Host, KeyFile: filepath.Join(dir, "credentials"), Extra: map[string]map[string]string{
			"storage": {"encryption_key_file": ring, "concurrent_transfers": "4"}}}.Write(ini)
	if err != nil {
		t.Fatal(err)
	}
	m := &nodeMedusa{t: t, ini: ini, tmp: t.TempDir()}
	m.cs = &cliStore{ini: ini, prefix: prefix, fqdn: n.Host, tmp: m.tmp}
	m.cs.b = openINIStorage(t, ini, m.cs.getenv)

	m.must("backup", "--backup-name", "E1", "--mode", "differential")
	if err := writeAndFlush(t.Context(), n, 50000, 40); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ring, []byte(k1+"k2 = "+newKey()+"\ncurrent = k2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m.must("backup", "--backup-name", "E2", "--mode", "differential")
	if err := writeAndFlush(t.Context(), n, 51000, 40); err != nil {
		t.Fatal(err)
	}

	// Then to KMS (moto's), the key ring kept for the old objects.
	kmsSrv := testbed.MotoKMST(t)
	err = testbed.MedusaINI{S3: srv, User: srv.Restricted, Bucket: srv.Bucket, Prefix: prefix, Node: n,
		FQDN: n.Host, KeyFile: filepath.Join(dir, "credentials"), Extra: map[string]map[string]string{
			"storage": {"encryption_key_file": ring, "concurrent_transfers": "4",
				"encryption_kms_key_id": kmsSrv.Alias, "encryption_kms_endpoint": kmsSrv.URL}}}.Write(ini)
	if err != nil {
		t.Fatal(err)
	}
	m.must("backup", "--backup-name", "E3", "--mode", "differential")
	sumsE3 := testbed.FixtureChecksums(t, n)
	if keys := listKeys(t, m.cs.b, prefix+"/index/medusa_kms_keys/"); len(keys) != 1 {
		t.Errorf("the KMS backup stored data keys %v, want 1", keys)
	}
	rep, out, code := checkReport(t, m.cs, "--no-cassandra")
	if code != 0 {
		t.Errorf("medusa check with KMS: exit %d:\n%s", code, out)
	}
	expectStatus(t, rep, "encryption/kms", check.OK, kmsSrv.KeyARN, "1 data keys stored", "(kms:Decrypt)")
	expectStatus(t, rep, "encryption/key-ring", check.OK, "current \"k2\"")
	expectStatus(t, rep, "encryption/marker", check.OK, "marked client-side encrypted")

	// E3 names objects sealed with each key.
	admin := srv.Client(srv.Admin)
	keyIDs := map[string]int{}
	for _, s := range readManifest(t, m.cs.b, layout.New(prefix).ManifestKey(n.Host, "E3")) {
		for _, o := range s.Objects {
			obj, err := admin.GetObject(t.Context(), &awss3.GetObjectInput{Bucket: aws.String(srv.Bucket),
				Key: aws.String(o.Path), Range: aws.String("bytes=0-40")})
			if err != nil {
				t.Fatal(err)
			}
			h, err := io.ReadAll(obj.Body)
			obj.Body.Close()
			if err != nil || len(h) < 41 || !strings.HasPrefix(string(h), "MDSAENC") {
				t.Fatalf("object %s of E3 has no encryption header (%v)", o.Path, err)
			}
			id := string(h[9 : 9+int(h[8])])
			if crypt.IsKMSKeyID(id) {
				id = "kms"
			}
			keyIDs[id]++
		}
	}
	if keyIDs["k1"] == 0 || keyIDs["k2"] == 0 || keyIDs["kms"] == 0 {
		t.Fatalf("E3's objects by key id: %v, want k1 (from E1), k2 (from E2) and a KMS data key (new)", keyIDs)
	}
	t.Logf("E3's objects by key id: %v", keyIDs)

	// Data loss, then the in-place restore.
	s, err := n.NewSession("")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"DELETE FROM fx_shop.users WHERE id IN (1, 2, 3, 5, 8)", "TRUNCATE fx_shop.orders"} {
		if err := s.Query(q).ExecContext(t.Context()); err != nil {
			s.Close()
			t.Fatalf("%s: %v", q, err)
		}
	}
	s.Close()
	if got := testbed.FixtureChecksums(t, n); maps.Equal(got, sumsE3) {
		t.Fatal("the data loss changed no checksum")
	}
	pid := n.PID()
	out = m.must("restore-node", "--backup-name", "E3", "--in-place", "--temp-dir", t.TempDir())
	if !strings.Contains(out, "Restore done") || !strings.Contains(out, "Cassandra was down for") {
		t.Errorf("restore-node output:\n%s", out)
	}
	if n.PID() == pid {
		t.Error("Cassandra was not restarted: not an in-place restore")
	}
	if got := testbed.FixtureChecksums(t, n); !maps.Equal(got, sumsE3) {
		t.Errorf("after the in-place restore of E3 the rows are not E3's:\n%v\nwant\n%v", got, sumsE3)
	}
}
