package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/medusa-go/medusa/internal/crypt"
	"github.com/medusa-go/medusa/internal/testbed"
)

// TestCryptBackupDownloadVerify runs client-side encryption end to end on
// the real S3 server as the restricted user: a differential backup stores
// only ciphertext (no SSTable bytes, no schema text), Python Medusa still
// lists the bucket, verify, download and restore-node (sstableloader)
// decrypt and authenticate (the downloaded files are the node's, the
// restored table its rows), a second backup reuses every object,
// a plain medusa.ini is refused on the encrypted prefix, and a changed
// ciphertext byte fails restore-node at the download stage, naming the
// object and key id, with Cassandra untouched.
func TestCryptBackupDownloadVerify(t *testing.T) {
	n := testNode(t)
	srv := testbed.S3T(t)
	dir := t.TempDir()
	key := make([]byte, crypt.KeySize)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	ring := filepath.Join(dir, "medusa.keys")
	if err := os.WriteFile(ring, []byte("k1 = "+base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const prefix = "crypt"
	ini := filepath.Join(dir, "medusa.ini")
	mi := testbed.MedusaINI{S3: srv, User: srv.Restricted, Bucket: srv.Bucket, Prefix: prefix, Node: n,
		FQDN: n.Host, KeyFile: filepath.Join(dir, "credentials"), Extra: map[string]map[string]string{
			"storage": {"encryption_key_file": ring, "multi_part_upload_threshold": "16KB", "concurrent_transfers": "4"}}}
	if err := mi.Write(ini); err != nil {
		t.Fatal(err)
	}
	cs := &cliStore{ini: ini, prefix: prefix, fqdn: n.Host, tmp: t.TempDir()}
	cs.b = openINIStorage(t, ini, cs.getenv)

	cs.mustMedusa(t, "backup", "--backup-name", "e1", "--mode", "differential")

	// At rest: every encrypted object is ciphertext.
	admin := srv.Client(srv.Admin)
	raw := func(k string) []byte { return getObject(t, admin, srv.Bucket, k) }
	var dataKey string
	encrypted := 0
	for k := range listing(t, cs.b, prefix+"/") {
		if !crypt.Encrypted(prefix+"/", k) {
			continue
		}
		data := raw(k)
		if !bytes.HasPrefix(data, []byte("MDSAENC")) || bytes.Contains(data, []byte("Compressor")) ||
			bytes.Contains(data, []byte("CREATE TABLE")) {
			t.Fatalf("object %s is not ciphertext", k)
		}
		encrypted++
		if strings.Contains(k, "/fx_shop/") && strings.HasSuffix(k, "-Data.db") && dataKey == "" {
			dataKey = k
		}
	}
	if encrypted < 10 || dataKey == "" {
		t.Fatalf("%d encrypted objects, fixture Data.db %q: the backup stored too little", encrypted, dataKey)
	}

	// Python Medusa lists the bucket (index, manifests and token maps stay plain).
	py := testbed.PyMedusa{Exe: testbed.PyMedusaT(t), Config: ini, Dir: t.TempDir()}
	if out, errOut, err := py.Run(t.Context(), "list-backups"); err != nil || !strings.Contains(out, "e1 (started") {
		t.Errorf("Python list-backups of an encrypted bucket: %v\n%s\n%s", err, out, errOut)
	}

	checkListedAndVerified(t, cs, "e1")

	// download decrypts: the files are the node's SSTables, byte for byte.
	dest := t.TempDir()
	cs.mustMedusa(t, "download", "--backup-name", "e1", "--download-destination", dest)
	compareDownloaded(t, n, dest, "fx_shop")

	// A deep verify reads every object through the decryption: all of them
	// authenticate.
	cs.mustMedusa(t, "verify", "--backup-name", "e1", "--deep")

	// A second differential backup reuses every encrypted object.
	before := listing(t, cs.b, prefix+"/"+n.Host+"/data/")
	cs.mustMedusa(t, "backup", "--backup-name", "e2", "--mode", "differential")
	after := listing(t, cs.b, prefix+"/"+n.Host+"/data/")
	for k, o := range after {
		b, ok := before[k]
		if ok && b.Version != o.Version {
			t.Errorf("second backup stored %s again", k)
		}
		if !ok && strings.Contains(k, "/fx_shop/") { // no writes since e1: a new key is a failed reuse
			t.Errorf("second backup uploaded %s instead of reusing the stored object", k)
		}
	}

	// restore-node decrypts: fx_logs.lines, truncated, comes back from e1
	// through sstableloader (the shared node keeps running).
	count := func() int {
		t.Helper()
		s, err := n.NewSession("")
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var c int
		if err := s.Query("SELECT count(*) FROM fx_logs.lines").ScanContext(t.Context(), &c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	rows := count()
	s, err := n.NewSession("")
	if err != nil {
		t.Fatal(err)
	}
	err = s.Query("TRUNCATE fx_logs.lines").ExecContext(t.Context())
	s.Close()
	if err != nil || rows == 0 || count() != 0 {
		t.Fatalf("TRUNCATE fx_logs.lines (%d rows): %v", rows, err)
	}
	cs.mustMedusa(t, "restore-node", "--backup-name", "e1", "--use-sstableloader", "--table", "fx_logs.lines",
		"--temp-dir", t.TempDir())
	if got := count(); got != rows {
		t.Errorf("fx_logs.lines holds %d rows after the restore, want e1's %d", got, rows)
	}

	// A plain medusa.ini is refused on the encrypted prefix.
	plainINI := filepath.Join(dir, "plain.ini")
	mi.Extra = nil
	if err := mi.Write(plainINI); err != nil {
		t.Fatal(err)
	}
	plain := &cliStore{ini: plainINI, prefix: prefix, fqdn: n.Host, tmp: t.TempDir()}
	if out, code := plain.medusa(t, "backup", "--backup-name", "p1", "--mode", "differential"); code == 0 ||
		!strings.Contains(out, "encryption_key_file") {
		t.Errorf("plain backup into an encrypted prefix exited %d:\n%s", code, out)
	}

	// A changed ciphertext byte: restore fails while downloading, before
	// Cassandra is stopped, naming the object and the key id.
	data := raw(dataKey)
	data[len(data)/2] ^= 0x01
	if _, err := admin.PutObject(t.Context(), &awss3.PutObjectInput{Bucket: aws.String(srv.Bucket),
		Key: aws.String(dataKey), Body: bytes.NewReader(data)}); err != nil {
		t.Fatal(err)
	}
	pid := n.PID()
	out, code := cs.medusa(t, "restore-node", "--backup-name", "e1", "--temp-dir", t.TempDir())
	if code == 0 || !strings.Contains(out, dataKey) || !strings.Contains(out, `key id "k1"`) ||
		!strings.Contains(out, "Cassandra was not stopped") {
		t.Errorf("restore of a changed ciphertext exited %d, want a failure naming %s and key id k1, Cassandra not stopped:\n%s",
			code, dataKey, out)
	}
	if n.PID() != pid {
		t.Error("Cassandra was restarted")
	}
	t.Logf("restore of a changed ciphertext:\n%s", out)

	// verify --deep finds the changed object: it no longer authenticates.
	out, code = cs.medusa(t, "verify", "--backup-name", "e1", "--deep")
	if code != 1 || !strings.Contains(out, dataKey) {
		t.Errorf("verify --deep of a changed ciphertext exited %d, want 1 naming %s:\n%s", code, dataKey, out)
	}
}
