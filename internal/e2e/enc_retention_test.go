package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/check"
	"github.com/medusa-go/medusa/internal/testbed"
)

// TestEncCheckRetentionGCSAzure runs `medusa check --no-cassandra` on
// fake-gcs-server and Azurite: the GCS bucket's retention policy is read
// (none; then one set through the JSON API, longer than max_backup_age,
// is a warning if the emulator keeps it: fake-gcs-server v1.56.1 drops
// it); Azurite reports the container's immutability properties (none set:
// policies and legal holds are set through Azure Resource Manager, which
// Azurite does not emulate).
func TestEncCheckRetentionGCSAzure(t *testing.T) {
	t.Run("gcs", func(t *testing.T) {
		srv := testbed.GCST(t)
		t.Setenv("STORAGE_EMULATOR_HOST", srv.Host)
		cs := storageOnlyINI(t, map[string]string{"storage_provider": "google_storage", "bucket_name": srv.Bucket,
			"prefix": "gcs", "max_backup_age": "7"})
		rep, out, code := checkReport(t, cs, "--no-cassandra")
		t.Logf("%s", out)
		if code != 0 {
			t.Errorf("exit %d, want 0", code)
		}
		expectStatus(t, rep, "bucket/retention", check.OK, "has no retention policy")

		// A 30-day retention policy, set the way gcloud does (PATCH of the
		// bucket resource).
		body := strings.NewReader(`{"retentionPolicy":{"retentionPeriod":"2592000"}}`)
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPatch, "http://"+srv.Host+"/storage/v1/b/"+srv.Bucket, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var patched map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&patched)
		resp.Body.Close()
		t.Logf("PATCH retentionPolicy: %s %v", resp.Status, patched)
		rep, out, _ = checkReport(t, cs, "--no-cassandra")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("PATCH of the bucket: %s", resp.Status)
		}
		if _, kept := patched["retentionPolicy"]; kept {
			expectStatus(t, rep, "bucket/retention", check.WARN, "retention policy of 720h0m0s", "longer than max_backup_age = 7 days")
		} else {
			// fake-gcs-server accepts the PATCH and drops the policy: the
			// check reports what the store says.
			t.Log("fake-gcs-server keeps no retention policy: the policy itself is covered by the unit test on the JSON API's bucket resource")
			expectStatus(t, rep, "bucket/retention", check.OK, "has no retention policy")
		}
	})
	t.Run("azure", func(t *testing.T) {
		az := testbed.AzuriteT(t)
		keyFile := az.KeyFileT(t)
		cs := storageOnlyINI(t, map[string]string{"storage_provider": "azure_blobs", "bucket_name": az.Container,
			"key_file": keyFile, "host": az.BlobEndpoint, "max_backup_age": "7"})
		rep, out, code := checkReport(t, cs, "--no-cassandra")
		t.Logf("%s", out)
		if code != 0 {
			t.Errorf("exit %d, want 0", code)
		}
		expectStatus(t, rep, "bucket/retention", check.OK, `Azure container "`+az.Container+`" has no immutability policy`)
	})
}
