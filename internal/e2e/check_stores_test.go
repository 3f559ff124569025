package e2e

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/check"
	"github.com/medusa-go/medusa/internal/testbed"
)

// storageOnlyINI writes a medusa.ini with only [storage] (fqdn node1) for
// `medusa check --no-cassandra`.
func storageOnlyINI(t *testing.T, st map[string]string) *cliStore {
	t.Helper()
	st = maps.Clone(st)
	st["fqdn"] = "node1"
	var b strings.Builder
	b.WriteString("[storage]\n")
	for _, k := range slices.Sorted(maps.Keys(st)) {
		fmt.Fprintf(&b, "%s = %s\n", k, st[k])
	}
	ini := filepath.Join(t.TempDir(), "medusa.ini")
	if err := os.WriteFile(ini, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return &cliStore{ini: ini, fqdn: "node1", tmp: t.TempDir()}
}

// TestCheckGCSAzureLocal runs `medusa check --no-cassandra` on
// fake-gcs-server, Azurite (account key in a JSON key_file) and local
// storage: the bucket answers and the probe writes, reads, lists and
// deletes under the prefix, leaving nothing; the Azure key_file's mode is
// checked and the account key never printed.
func TestCheckGCSAzureLocal(t *testing.T) {
	probeSteps := []string{"bucket/reachable", "policy/put-object", "policy/get-object", "policy/list-objects", "policy/delete-object"}
	expectProbe := func(t *testing.T, cs *cliStore) string {
		t.Helper()
		rep, out, code := checkReport(t, cs, "--no-cassandra")
		t.Logf("%s", out)
		if code != 0 {
			t.Errorf("exit %d, want 0", code)
		}
		for _, s := range probeSteps {
			expectStatus(t, rep, s, check.OK)
		}
		return out
	}
	t.Run("gcs", func(t *testing.T) {
		srv := testbed.GCST(t)
		t.Setenv("STORAGE_EMULATOR_HOST", srv.Host)
		expectProbe(t, storageOnlyINI(t, map[string]string{
			"storage_provider": "google_storage", "bucket_name": srv.Bucket, "prefix": "gcs"}))
	})
	t.Run("azure", func(t *testing.T) {
		az := testbed.AzuriteT(t)
		keyFile := az.KeyFileT(t)
		cs := storageOnlyINI(t, map[string]string{"storage_provider": "azure_blobs", "bucket_name": az.Container,
			"key_file": keyFile, "host": az.BlobEndpoint})
		out := expectProbe(t, cs)
		if strings.Contains(out, az.Key) {
			t.Error("the output shows the account key")
		}
		rep, _, _ := checkReport(t, cs, "--no-cassandra")
		expectStatus(t, rep, "credentials/key-file", check.OK, "0600")
		if err := os.Chmod(keyFile, 0o644); err != nil {
			t.Fatal(err)
		}
		rep, _, code := checkReport(t, cs, "--no-cassandra")
		expectStatus(t, rep, "credentials/key-file", check.FAIL, "readable by every user", "chmod 600")
		if code != 1 {
			t.Errorf("exit %d with a world-readable key_file, want 1", code)
		}
	})
	t.Run("local", func(t *testing.T) {
		base := t.TempDir()
		cs := storageOnlyINI(t, map[string]string{"storage_provider": "local", "bucket_name": "bk", "base_path": base, "prefix": "loc"})
		expectProbe(t, cs)
		left, err := filepath.Glob(filepath.Join(base, "bk", "loc", check.ProbeDir, "node1", "*", "*"))
		if err != nil || len(left) != 0 {
			t.Errorf("probe objects left: %v %v", left, err)
		}
	})
}
