package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go"

	"github.com/medusa-go/medusa/internal/check"
	"github.com/medusa-go/medusa/internal/cli"
	"github.com/medusa-go/medusa/internal/crypt"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/testbed"
)

// compareDownloaded compares the files download wrote under dest/<keyspace>
// with the node's live files, byte for byte, and returns how many it
// compared (files compacted away since the backup are skipped).
func compareDownloaded(t *testing.T, n *testbed.Node, dest, keyspace string) int {
	t.Helper()
	same := 0
	err := filepath.WalkDir(filepath.Join(dest, keyspace), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dest, p)
		live, err := os.ReadFile(filepath.Join(n.DataDir, rel))
		if err != nil {
			return nil // compacted away since
		}
		got, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, live) {
			t.Errorf("downloaded %s differs from the node's file", rel)
		}
		same++
		return nil
	})
	if err != nil || same == 0 {
		t.Fatalf("compared %d downloaded files with the node's: %v", same, err)
	}
	return same
}

// filesUnder lists the regular files under dir.
func filesUnder(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return files
}

// versions maps every key under prefix to its size and version.
func versions(t *testing.T, b storage.Backend, prefix string) map[string]storage.ObjectInfo {
	t.Helper()
	out := listing(t, b, prefix)
	for k, o := range out {
		out[k] = storage.ObjectInfo{Key: o.Key, Size: o.Size, Version: o.Version}
	}
	return out
}

// TestEncKMSMoto runs client-side encryption with a KMS master key against
// a real KMS-compatible server, moto, on the real node and S3 server (as
// the restricted user): encryption_kms_key_id names the key by its alias
// and encryption_kms_endpoint points to moto. medusa check passes before
// and after the backup; the backup stores only ciphertext and one data
// key, wrapped by KMS (bound to medusa's encryption context), under
// index/medusa_kms_keys/; download gives the node's files byte for byte
// and verify --deep authenticates every object. Then the key is lost in
// the two ways moto enforces: its alias deleted (a backup fails naming the
// alias, before anything is written; existing backups still decrypt, the
// blob names the key) and the key gone from the server (download, verify
// --deep and restore-node fail naming the key object and the key's ARN,
// Cassandra untouched, nothing downloaded). No error shows a secret.
func TestEncKMSMoto(t *testing.T) {
	n := testNode(t)
	srv := testbed.S3T(t)
	km := testbed.MotoKMST(t)
	const prefix = "kmsmoto"
	st := encS3INI(t, srv, srv.Bucket, prefix, map[string]string{"concurrent_transfers": "4",
		"encryption_kms_key_id": km.Alias, "encryption_kms_endpoint": km.URL})
	cs := writeNodeINI(t, n, st)
	noSecret := func(what, out string) {
		t.Helper()
		if strings.Contains(out, srv.Restricted.Secret) || strings.Contains(out, srv.Admin.Secret) {
			t.Errorf("%s shows a secret key:\n%s", what, out)
		}
	}

	rep, out, code := checkReport(t, cs, "--no-cassandra")
	if code != 0 {
		t.Errorf("medusa check before any backup: exit %d:\n%s", code, out)
	}
	expectStatus(t, rep, "encryption/kms", check.OK, km.KeyARN, "kms:GenerateDataKey", "no data key stored yet")

	cs.mustMedusa(t, "backup", "--backup-name", "k1", "--mode", "differential")

	// At rest: ciphertext sealed with one KMS data key, stored wrapped.
	admin := srv.Client(srv.Admin)
	raw := func(k string) []byte { return getObject(t, admin, srv.Bucket, k) }
	keyIDs := map[string]int{}
	var dataKey string
	all := listing(t, cs.b, prefix+"/")
	for _, k := range slices.Sorted(maps.Keys(all)) {
		if !crypt.Encrypted(prefix+"/", k) {
			continue
		}
		data := raw(k)
		if !bytes.HasPrefix(data, []byte("MDSAENC")) || len(data) < 9 || len(data) < 9+int(data[8]) ||
			bytes.Contains(data, []byte("Compressor")) || bytes.Contains(data, []byte("CREATE TABLE")) {
			t.Fatalf("object %s is not ciphertext", k)
		}
		keyIDs[string(data[9:9+int(data[8])])]++
		if dataKey == "" && strings.Contains(k, "/fx_shop/") && strings.HasSuffix(k, "-Data.db") {
			dataKey = k
		}
	}
	if len(keyIDs) != 1 || dataKey == "" {
		t.Fatalf("objects by key id %v, fixture Data.db %q: want every object sealed with one KMS data key", keyIDs, dataKey)
	}
	id := slices.Collect(maps.Keys(keyIDs))[0]
	if !crypt.IsKMSKeyID(id) || keyIDs[id] < 10 {
		t.Fatalf("%d objects sealed with key id %q, want at least 10 with a KMS data key", keyIDs[id], id)
	}
	var keyObjs []string
	for k := range all {
		if strings.HasPrefix(k, prefix+"/index/medusa_kms_keys/") {
			keyObjs = append(keyObjs, k)
		}
	}
	keyObj := crypt.KMSKeyObject(prefix+"/", id)
	if len(keyObjs) != 1 || keyObjs[0] != keyObj {
		t.Fatalf("KMS key objects %v, want %s only", keyObjs, keyObj)
	}
	var wrapped struct {
		KMSKeyID       string `json:"kms_key_id"`
		CiphertextBlob []byte `json:"ciphertext_blob"`
	}
	if err := json.Unmarshal(raw(keyObj), &wrapped); err != nil || wrapped.KMSKeyID != km.KeyARN || len(wrapped.CiphertextBlob) == 0 {
		t.Fatalf("key object %s: %+v, %v; want the key's ARN %s and a blob", keyObj, wrapped, err, km.KeyARN)
	}
	// The blob opens only with medusa's encryption context.
	_, err := km.Client().Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: wrapped.CiphertextBlob})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidCiphertextException" {
		t.Errorf("moto decrypted the data key without medusa's encryption context: %v", err)
	}

	checkListedAndVerified(t, cs, "k1")
	dest := t.TempDir()
	cs.mustMedusa(t, "download", "--backup-name", "k1", "--download-destination", dest)
	t.Logf("k1: %d objects sealed with %s; %d downloaded files equal the node's", keyIDs[id], id,
		compareDownloaded(t, n, dest, "fx_shop"))
	// verify --deep authenticates every object. With a KMS data key it
	// once hung here (every transfer slot held by a reader waiting for the
	// key object, which needed a slot too; internal/app now reads key
	// objects beneath the slots): bounded, so that a hang fails the test.
	vctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	var vout bytes.Buffer
	code = cli.Execute(vctx, cli.Env{Args: []string{"--config-file", cs.ini, "verify", "--backup-name", "k1", "--deep"},
		Stdout: &vout, Stderr: &vout, Getenv: cs.getenv, WrapStorage: cs.wrap})
	cancel()
	if code != 0 {
		t.Errorf("verify --deep of k1 (sealed with a KMS data key) exited %d:\n%s", code, vout.String())
	}
	rep, out, code = checkReport(t, cs, "--no-cassandra")
	if code != 0 {
		t.Errorf("medusa check after the backup: exit %d:\n%s", code, out)
	}
	expectStatus(t, rep, "encryption/kms", check.OK, km.KeyARN, "1 data keys stored", id, "(kms:Decrypt)")
	expectStatus(t, rep, "encryption/marker", check.OK, "marked client-side encrypted")

	// The alias deleted: new data keys cannot be had; a backup fails
	// naming the alias and writes nothing; k1 still decrypts.
	if _, err := km.Client().DeleteAlias(t.Context(), &kms.DeleteAliasInput{AliasName: aws.String(km.Alias)}); err != nil {
		t.Fatal(err)
	}
	before := versions(t, cs.b, prefix+"/")
	out, code = cs.medusa(t, "backup", "--backup-name", "k2", "--mode", "differential")
	if code == 0 || !strings.Contains(out, "encryption_kms_key_id") || !strings.Contains(out, km.Alias) ||
		!strings.Contains(out, "NotFoundException") {
		t.Errorf("backup with the alias deleted exited %d, want a failure naming %s and NotFoundException:\n%s", code, km.Alias, out)
	}
	noSecret("backup with the alias deleted", out)
	t.Logf("backup with the alias deleted (exit %d):\n%s", code, out)
	if after := versions(t, cs.b, prefix+"/"); !maps.Equal(after, before) {
		t.Errorf("the failed backup changed the prefix: %d objects before, %d after", len(before), len(after))
	}
	if left := snapshotDirsLeft(t, n, "medusa-k2"); len(left) > 0 {
		t.Errorf("the failed backup left its snapshot: %v", left)
	}
	rep, out, code = checkReport(t, cs, "--no-cassandra")
	if code != 1 {
		t.Errorf("medusa check with the alias deleted: exit %d, want 1:\n%s", code, out)
	}
	expectStatus(t, rep, "encryption/kms", check.FAIL, km.Alias, "NotFoundException")
	noSecret("medusa check", out)
	cs.mustMedusa(t, "download", "--backup-name", "k1", "--download-destination", t.TempDir())

	// The key gone from the server (as after its deletion window): every
	// read of k1 fails naming the key object and the key, and nothing is
	// touched.
	if err := km.Wipe(t.Context()); err != nil {
		t.Fatal(err)
	}
	wantLost := func(what, out string, code int) {
		t.Helper()
		if code == 0 || !strings.Contains(out, keyObj) || !strings.Contains(out, km.KeyARN) ||
			!strings.Contains(out, "kms:Decrypt") {
			t.Errorf("%s with the KMS key gone exited %d, want a failure naming %s and %s:\n%s", what, code, keyObj, km.KeyARN, out)
		}
		noSecret(what, out)
	}
	dest = t.TempDir()
	out, code = cs.medusa(t, "download", "--backup-name", "k1", "--download-destination", dest)
	wantLost("download", out, code)
	t.Logf("download with the KMS key gone (exit %d):\n%s", code, out)
	if files := filesUnder(t, filepath.Join(dest, "fx_shop")); len(files) > 0 {
		t.Errorf("the failed download left %d SSTable files, e.g. %s", len(files), files[0])
	}
	pid := n.PID()
	out, code = cs.medusa(t, "restore-node", "--backup-name", "k1", "--temp-dir", t.TempDir())
	wantLost("restore-node", out, code)
	if !strings.Contains(out, "Cassandra was not stopped") || n.PID() != pid {
		t.Errorf("restore-node with the KMS key gone: Cassandra must stay up (pid %d, now %d):\n%s", pid, n.PID(), out)
	}
}
