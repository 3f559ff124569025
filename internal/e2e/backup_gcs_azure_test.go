package e2e

import (
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/testbed"
)

// TestGCSBackupCommands runs the node-backup scenario through the CLI on
// fake-gcs-server: storage_provider = google_storage, no key_file, the
// emulator reached through STORAGE_EMULATOR_HOST (as with the real
// client library). Full, differential, more rows + flush, differential
// (only the new files uploaded); list-backups and status show the three
// backups complete; verify passes on each.
func TestGCSBackupCommands(t *testing.T) {
	n := testNode(t)
	srv := testbed.GCST(t)
	t.Setenv("STORAGE_EMULATOR_HOST", srv.Host)
	cs := writeNodeINI(t, n, map[string]string{
		"storage_provider":     "google_storage",
		"bucket_name":          srv.Bucket,
		"prefix":               "gcs",
		"multipart_chunksize":  "256KB",
		"concurrent_transfers": "4",
	})
	bk := fullAndDifferentials(t, n, cs, "gcs", 20000)
	checkListedAndVerified(t, cs, bk.full, bk.diff1, bk.diff2)
	checkKeysUnderPrefix(t, cs)
}

// TestAzureBackupCommands is the same scenario on Azurite with
// storage_provider = azure_blobs, the account key in a JSON key_file and
// the emulator's path-style endpoint given as [storage] host (a URL).
func TestAzureBackupCommands(t *testing.T) {
	n := testNode(t)
	az := testbed.AzuriteT(t)
	keyFile := az.KeyFileT(t)
	cs := writeNodeINI(t, n, map[string]string{
		"storage_provider":     "azure_blobs",
		"bucket_name":          az.Container,
		"key_file":             keyFile,
		"host":                 az.BlobEndpoint,
		"multipart_chunksize":  "64KB", // bigger SSTable files are staged in blocks
		"concurrent_transfers": "4",
	})
	bk := fullAndDifferentials(t, n, cs, "azure", 21000)
	checkListedAndVerified(t, cs, bk.full, bk.diff1, bk.diff2)
	checkKeysUnderPrefix(t, cs)
	if out, _ := cs.medusa(t, "list-backups"); strings.Contains(out, az.Key) {
		t.Fatal("list-backups output shows the account key")
	}
}

// checkKeysUnderPrefix checks that every key in the bucket is one of
// the bucket format's patterns (docs/bucket-format.md) under the ini's prefix.
func checkKeysUnderPrefix(t *testing.T, cs *cliStore) {
	t.Helper()
	keys := listing(t, cs.b, "")
	if len(keys) == 0 {
		t.Fatal("the bucket is empty")
	}
	for k := range keys {
		if err := checkLayoutKey(cs.layout(), cs.fqdn, k); err != nil {
			t.Error(err)
		}
	}
}
