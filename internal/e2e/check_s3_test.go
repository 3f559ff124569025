package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/check"
	"github.com/medusa-go/medusa/internal/testbed"
)

// checkReport runs `medusa check --output json` and decodes its report.
func checkReport(t *testing.T, cs *cliStore, args ...string) (check.Report, string, int) {
	t.Helper()
	out, code := cs.medusa(t, append([]string{"check", "--output", "json"}, args...)...)
	var rep check.Report
	start := strings.Index(out, "{")
	if start < 0 || json.Unmarshal([]byte(out[start:]), &rep) != nil {
		t.Fatalf("medusa check --output json printed no report (exit %d):\n%s", code, out)
	}
	return rep, out, code
}

// result returns the result of the check named name.
func result(t *testing.T, rep check.Report, name string) check.Result {
	t.Helper()
	for _, r := range rep.Results {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no result %q in the report: %+v", name, rep.Results)
	return check.Result{}
}

func expectStatus(t *testing.T, rep check.Report, name string, want check.Status, contains ...string) check.Result {
	t.Helper()
	r := result(t, rep, name)
	if r.Status != want {
		t.Errorf("%s: status %s, want %s (%s -> %s)", name, r.Status, want, r.Detail, r.Fix)
	}
	for _, c := range contains {
		if !strings.Contains(r.Detail+" "+r.Fix, c) {
			t.Errorf("%s: %q lacks %q", name, r.Detail+" -> "+r.Fix, c)
		}
	}
	return r
}

func s3CheckINI(t *testing.T, n *testbed.Node, srv *testbed.S3Server, user testbed.Credentials) *cliStore {
	t.Helper()
	keyFile := filepath.Join(t.TempDir(), "credentials")
	if err := srv.WriteKeyFile(keyFile, user); err != nil {
		t.Fatal(err)
	}
	return writeNodeINI(t, n, map[string]string{
		"storage_provider": "s3_compatible",
		"bucket_name":      srv.Bucket,
		"prefix":           "tenant1",
		"host":             srv.Host,
		"port":             fmt.Sprint(srv.Port),
		"secure":           "False",
		"region":           srv.Region,
		"key_file":         keyFile,
	})
}

// TestCheckS3 runs `medusa check` on the shared node against the test-bed
// S3 server (versitygw): as the user holding the AWS guide's
// MedusaStorageStrategy policy every storage, policy and Cassandra check
// passes, the temp-dir check names the node's largest backup, nothing
// secret is printed and the probe leaves nothing behind; as a user whose
// policy lacks s3:AbortMultipartUpload (then s3:DeleteObject) the FAIL line
// names that action and medusa exits 1. Without a key_file, the
// credentials come from the instance role through IMDSv2 and their expiry
// is reported.
func TestCheckS3(t *testing.T) {
	n := testNode(t)
	srv := testbed.S3T(t)
	cs := s3CheckINI(t, n, srv, srv.Restricted)

	// Two finished backups of the node; b2 names more files, so it is the
	// largest.
	bucket := testbed.NewBucket(t, cs.b, filepath.Join(srv.Dir, "data", srv.Bucket), "tenant1")
	bucket.Backup(testbed.NodeBackupSpec{FQDN: n.Host, Name: "b1", Started: testbed.DaysAgo(2), Finished: true, Full: true,
		Files: []string{"ks/t-1/nb-1-big-Data.db"}})
	bucket.Backup(testbed.NodeBackupSpec{FQDN: n.Host, Name: "b2", Started: testbed.DaysAgo(1), Finished: true, Full: true,
		Files: []string{"ks/t-1/nb-1-big-Data.db", "ks/t-1/nb-2-big-Data.db", "ks/t-1/nb-3-big-Data.db"}})
	before := bucket.Keys()

	rep, out, code := checkReport(t, cs, "--temp-dir", t.TempDir())
	t.Logf("seed-policy user:\n%s", out)
	if code != 0 || rep.Failed() {
		t.Errorf("exit %d with %d failures, want 0", code, rep.Fail)
	}
	for _, secret := range []string{srv.Restricted.Secret, srv.Restricted.AccessKey} {
		if strings.Contains(out, secret) {
			t.Errorf("the output contains a credential")
		}
	}
	expectStatus(t, rep, "config/medusa.ini", check.OK, "s3_compatible")
	expectStatus(t, rep, "credentials/source", check.OK, "key_file", "(profile default)")
	expectStatus(t, rep, "credentials/key-file", check.OK, "0600")
	expectStatus(t, rep, "bucket/reachable", check.OK)
	for _, name := range []string{"policy/put-object", "policy/multipart-upload", "policy/get-object", "policy/list-objects",
		"policy/copy-object", "policy/abort-upload", "policy/delete-object"} {
		expectStatus(t, rep, name, check.OK)
	}
	expectStatus(t, rep, "cassandra/yaml", check.OK, n.ConfigFile)
	expectStatus(t, rep, "cassandra/cql", check.OK, "without authentication")
	expectStatus(t, rep, "cassandra/nodetool", check.OK)
	expectStatus(t, rep, "cassandra/data-dirs", check.OK, "table directories")
	expectStatus(t, rep, "cassandra/temp-dir", check.OK, "largest backup b2")
	if after := bucket.Keys(); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Errorf("the probe left keys behind:\nbefore %v\nafter  %v", before, after)
	}

	// No key_file: the instance role through IMDSv2 (a fake metadata
	// service handing out the seed-policy user's key for an hour).
	t.Run("imds-role", func(t *testing.T) {
		imds := testbed.IMDST(t, testbed.IMDSOptions{AccessKey: srv.Restricted.AccessKey, Secret: srv.Restricted.Secret, Expiry: time.Hour})
		imds.SetenvT(t)
		cs := writeNodeINI(t, n, map[string]string{"storage_provider": "s3_compatible", "bucket_name": srv.Bucket,
			"host": srv.Host, "port": fmt.Sprint(srv.Port), "secure": "False", "region": srv.Region})
		rep, out, code := checkReport(t, cs, "--no-cassandra")
		if code != 0 {
			t.Errorf("exit %d, want 0:\n%s", code, out)
		}
		expectStatus(t, rep, "credentials/source", check.OK, "the IAM role via instance metadata", "temporary, expire at", "refreshed automatically")
		expectStatus(t, rep, "policy/delete-object", check.OK)
	})

	for _, missing := range []struct{ action, check string }{
		{"s3:AbortMultipartUpload", "policy/abort-upload"},
		{"s3:DeleteObject", "policy/delete-object"},
	} {
		t.Run(missing.action, func(t *testing.T) {
			user, err := srv.NewUserWithout(t.Context(), "medusa-no-"+strings.TrimPrefix(missing.action, "s3:"), missing.action)
			if err != nil {
				t.Fatal(err)
			}
			cs := s3CheckINI(t, n, srv, user)
			out, code := cs.medusa(t, "check", "--no-cassandra")
			t.Logf("user without %s:\n%s", missing.action, out)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			var line string
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(l, "FAIL") {
					if line != "" {
						t.Errorf("more than one FAIL line: %q and %q", line, l)
					}
					line = l
				}
			}
			if !strings.Contains(line, missing.check) || !strings.Contains(line, "lacks "+missing.action) {
				t.Errorf("FAIL line %q does not name %s in %s", line, missing.action, missing.check)
			}
		})
	}
}
