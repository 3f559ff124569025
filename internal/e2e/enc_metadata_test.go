package e2e

import (
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/medusa-go/medusa/internal/check"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/testbed"
)

// TestEncMetadata backs up the shared node with [storage]
// encrypt_metadata = true on the real S3 server: the manifests, token
// maps and schema (in meta/ and in the index) are ciphertext at rest;
// list-backups, verify --deep and medusa check work through the key
// ring; a medusa.ini without encrypt_metadata is refused on the prefix;
// Python Medusa's list-backups fails on the prefix (it cannot decode the
// token maps), as docs/encryption.md says.
func TestEncMetadata(t *testing.T) {
	n := testNode(t)
	srv := testbed.S3T(t)
	dir := t.TempDir()
	ring := writeKeyRing(t, 0o600)
	const prefix = "encmeta"
	ini := filepath.Join(dir, "medusa.ini")
	mi := testbed.MedusaINI{S3: srv, User: srv.Restricted, Bucket: srv.Bucket, Prefix: prefix, Node: n,
		FQDN: n.Host, KeyFile: filepath.Join(dir, "credentials"), Extra: map[string]map[string]string{
			"storage": {"encryption_key_file": ring, "encrypt_metadata": "true", "concurrent_transfers": "4"}}}
	if err := mi.Write(ini); err != nil {
		t.Fatal(err)
	}
	cs := &cliStore{ini: ini, prefix: prefix, fqdn: n.Host, tmp: t.TempDir()}
	cs.b = openINIStorage(t, ini, cs.getenv)
	cs.mustMedusa(t, "backup", "--backup-name", "m1", "--mode", "differential")

	l := layout.New(prefix)
	admin := srv.Client(srv.Admin)
	for _, k := range []string{l.ManifestKey(n.Host, "m1"), l.TokenmapKey(n.Host, "m1"), l.SchemaKey(n.Host, "m1"),
		l.IndexManifestKey("m1", n.Host), l.IndexTokenmapKey("m1", n.Host), l.IndexSchemaKey("m1", n.Host),
		l.LatestTokenmapKey(n.Host)} {
		obj, err := admin.GetObject(t.Context(), &awss3.GetObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String(k)})
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		data, err := io.ReadAll(obj.Body)
		obj.Body.Close()
		if err != nil || !strings.HasPrefix(string(data), "MDSAENC") || strings.Contains(string(data), n.Host) ||
			strings.Contains(string(data), "fx_shop") {
			t.Errorf("%s is not ciphertext at rest (%v)", k, err)
		}
	}

	if out := cs.mustMedusa(t, "list-backups"); !strings.Contains(out, "m1 (started") {
		t.Errorf("list-backups through the key ring:\n%s", out)
	}
	if out := cs.mustMedusa(t, "verify", "--backup-name", "m1", "--deep"); !strings.Contains(out, "Manifest validated: OK!!") {
		t.Errorf("verify --deep:\n%s", out)
	}
	rep, out, code := checkReport(t, cs, "--temp-dir", t.TempDir())
	if code != 0 {
		t.Errorf("medusa check: exit %d:\n%s", code, out)
	}
	expectStatus(t, rep, "encryption/marker", check.OK, "manifests and token maps included")
	expectStatus(t, rep, "cassandra/temp-dir", check.OK, "largest backup m1")

	// The same ring without encrypt_metadata is refused.
	mi.Extra = map[string]map[string]string{"storage": {"encryption_key_file": ring}}
	noMeta := filepath.Join(dir, "nometa.ini")
	if err := mi.Write(noMeta); err != nil {
		t.Fatal(err)
	}
	other := &cliStore{ini: noMeta, prefix: prefix, fqdn: n.Host, tmp: t.TempDir()}
	if out, code := other.medusa(t, "list-backups"); code == 0 || !strings.Contains(out, "encrypt_metadata = true") {
		t.Errorf("list-backups without encrypt_metadata exited %d:\n%s", code, out)
	}

	// Python Medusa cannot list it: it fails decoding a token map.
	py := testbed.PyMedusa{Exe: testbed.PyMedusaT(t), Config: ini, Dir: t.TempDir()}
	pyOut, pyErr, err := py.Run(t.Context(), "list-backups")
	t.Logf("Python list-backups: %v\n%s\n%s", err, pyOut, pyErr)
	if err == nil || strings.Contains(pyOut, "m1 (started") {
		t.Errorf("Python Medusa's list-backups of a prefix with encrypted token maps: %v, want a failure:\n%s", err, pyOut)
	}
}
