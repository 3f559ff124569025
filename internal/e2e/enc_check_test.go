package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/medusa-go/medusa/internal/check"
	"github.com/medusa-go/medusa/internal/crypt"
	"github.com/medusa-go/medusa/internal/testbed"
)

// encS3INI is the [storage] section of a medusa.ini on the test-bed S3
// server, as the user holding Medusa's policy, with extra keys.
func encS3INI(t *testing.T, srv *testbed.S3Server, bucket, prefix string, extra map[string]string) map[string]string {
	t.Helper()
	keyFile := filepath.Join(t.TempDir(), "credentials")
	if err := srv.WriteKeyFile(keyFile, srv.Restricted); err != nil {
		t.Fatal(err)
	}
	st := map[string]string{"storage_provider": "s3_compatible", "bucket_name": bucket, "prefix": prefix,
		"host": srv.Host, "port": fmt.Sprint(srv.Port), "secure": "False", "region": srv.Region, "key_file": keyFile}
	for k, v := range extra {
		st[k] = v
	}
	return st
}

// writeKeyRing writes a key ring of one random key "k1" with mode perm.
func writeKeyRing(t *testing.T, perm os.FileMode) string {
	t.Helper()
	key := make([]byte, crypt.KeySize)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "backup.keys")
	if err := os.WriteFile(p, []byte("k1 = "+base64.StdEncoding.EncodeToString(key)+"\n"), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, perm); err != nil {
		t.Fatal(err)
	}
	return p
}

// addStorageKey returns a copy of cs whose medusa.ini also sets
// [storage] key = value (without opening storage, which could refuse it).
func addStorageKey(t *testing.T, cs *cliStore, key, value string) *cliStore {
	t.Helper()
	data, err := os.ReadFile(cs.ini)
	if err != nil {
		t.Fatal(err)
	}
	ini := filepath.Join(t.TempDir(), "medusa.ini")
	text := strings.Replace(string(data), "[storage]\n", "[storage]\n"+key+" = "+value+"\n", 1)
	if err := os.WriteFile(ini, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	c := *cs
	c.ini = ini
	return &c
}

// TestEncCheckObjectLock runs `medusa check` against versitygw as the
// seed-policy user: with object_lock_days on a bucket without Object Lock
// the bucket/object-lock line fails (exit 1); on a bucket created with
// Object Lock it passes; a bucket default retention longer than
// max_backup_age is a warning (and the probe objects it locks are a
// warning, not a missing s3:DeleteObject).
func TestEncCheckObjectLock(t *testing.T) {
	n := testNode(t)
	srv := testbed.S3T(t)

	cs := writeNodeINI(t, n, encS3INI(t, srv, srv.Bucket, "enclock", map[string]string{"object_lock_days": "1"}))
	rep, out, code := checkReport(t, cs, "--no-cassandra")
	if code != 1 {
		t.Errorf("object_lock_days on a bucket without Object Lock: exit %d, want 1:\n%s", code, out)
	}
	expectStatus(t, rep, "bucket/object-lock", check.FAIL, "object_lock_days = 1", "has no Object Lock", "put-object-lock-configuration")

	const locked = "medusa-enc-lock"
	if err := srv.NewLockedBucket(t.Context(), locked); err != nil {
		t.Fatal(err)
	}
	cs = writeNodeINI(t, n, encS3INI(t, srv, locked, "enclock", map[string]string{"object_lock_days": "1", "max_backup_age": "7"}))
	rep, out, code = checkReport(t, cs, "--no-cassandra")
	t.Logf("locked bucket:\n%s", out)
	if code != 0 {
		t.Errorf("locked bucket: exit %d, want 0", code)
	}
	expectStatus(t, rep, "bucket/object-lock", check.OK, "object lock on, no default retention", "GOVERNANCE retention of 1 days")
	expectStatus(t, rep, "bucket/versioning", check.OK, "object lock on")

	// The admin gives the bucket a 30-day default retention: longer than
	// max_backup_age = 7.
	_, err := srv.Client(srv.Admin).PutObjectLockConfiguration(t.Context(), &awss3.PutObjectLockConfigurationInput{
		Bucket: aws.String(locked),
		ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
			Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeGovernance, Days: aws.Int32(30)}}},
	})
	if err != nil {
		t.Fatalf("set the default retention: %v", err)
	}
	cs = writeNodeINI(t, n, encS3INI(t, srv, locked, "enclock", map[string]string{"max_backup_age": "7"}))
	rep, out, code = checkReport(t, cs, "--no-cassandra")
	t.Logf("default retention:\n%s", out)
	if code != 0 {
		t.Errorf("a warning only: exit %d, want 0", code)
	}
	expectStatus(t, rep, "bucket/object-lock", check.WARN, "default retention GOVERNANCE 30 days", "max_backup_age = 7", "at least 30 days")
	// The default retention locks the probe's objects too: not a missing
	// permission.
	expectStatus(t, rep, "policy/delete-object", check.WARN, "refused by Object Lock", "until it ends")
}

// TestEncCheckEncryption runs `medusa check` on the encryption set-up
// against versitygw: a key ring with mode 600 on an encrypted prefix
// passes; the same prefix without encryption_key_file fails, as does a
// world-readable ring, and a ring on a prefix holding plain backups.
func TestEncCheckEncryption(t *testing.T) {
	n := testNode(t)
	srv := testbed.S3T(t)

	ring := writeKeyRing(t, 0o600)
	// Opening the encrypted stack marks the prefix, as the first backup would.
	enc := writeNodeINI(t, n, encS3INI(t, srv, srv.Bucket, "enccheck", map[string]string{"encryption_key_file": ring}))
	rep, out, code := checkReport(t, enc, "--no-cassandra")
	t.Logf("encrypted prefix:\n%s", out)
	if code != 0 {
		t.Errorf("encrypted prefix with its ring: exit %d, want 0", code)
	}
	expectStatus(t, rep, "encryption/key-ring", check.OK, ring, `1 key(s) (k1)`, `current "k1"`, "mode 0600")
	expectStatus(t, rep, "encryption/marker", check.OK, "marked client-side encrypted", "index/medusa_encryption.json")

	plain := writeNodeINI(t, n, encS3INI(t, srv, srv.Bucket, "enccheck", nil))
	rep, out, code = checkReport(t, plain, "--no-cassandra")
	if code != 1 {
		t.Errorf("encrypted prefix without a ring: exit %d, want 1:\n%s", code, out)
	}
	expectStatus(t, rep, "encryption/key-ring", check.SKIP)
	expectStatus(t, rep, "encryption/marker", check.FAIL, "are client-side encrypted", "set [storage] encryption_key_file")

	open := addStorageKey(t, plain, "encryption_key_file", writeKeyRing(t, 0o644))
	rep, out, code = checkReport(t, open, "--no-cassandra")
	if code != 1 {
		t.Errorf("world-readable ring: exit %d, want 1:\n%s", code, out)
	}
	expectStatus(t, rep, "encryption/key-ring", check.FAIL, "readable by every user", "chmod 600")

	// A prefix holding a plain backup, and a ring: every command would
	// refuse it.
	other := writeNodeINI(t, n, encS3INI(t, srv, srv.Bucket, "encplain", nil))
	bucket := testbed.NewBucket(t, other.b, filepath.Join(srv.Dir, "data", srv.Bucket), "encplain")
	bucket.Backup(testbed.NodeBackupSpec{FQDN: n.Host, Name: "p1", Started: testbed.DaysAgo(1), Finished: true, Full: true,
		Files: []string{"ks/t-1/nb-1-big-Data.db"}})
	mixed := addStorageKey(t, other, "encryption_key_file", ring)
	rep, out, code = checkReport(t, mixed, "--no-cassandra")
	t.Logf("ring on a plain prefix:\n%s", out)
	if code != 1 {
		t.Errorf("ring on a plain prefix: exit %d, want 1", code)
	}
	expectStatus(t, rep, "encryption/marker", check.FAIL, "holds plain backups", "p1", "use a new [storage] prefix")
}
