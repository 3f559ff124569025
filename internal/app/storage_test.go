package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/storage"
)

func parse(t *testing.T, ini string) *config.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "medusa.ini")
	if err := os.WriteFile(path, []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := config.Load(t.Context(), path, config.Overrides{}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestOpenStorageLocalRoundTrip(t *testing.T) {
	base := t.TempDir()
	cfg := parse(t, "[storage]\nstorage_provider = local\nbucket_name = b\nbase_path = "+base+"\nfqdn = n1\n")
	b, err := New(cfg, nil).Storage(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.Put(t.Context(), "n1/x/meta/schema.cql", strings.NewReader("CREATE")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(base, "b", "n1", "x", "meta", "schema.cql")); err != nil {
		t.Fatalf("object not at <base_path>/<bucket_name>/<key>: %v", err)
	}
	info, err := b.Stat(t.Context(), "n1/x/meta/schema.cql")
	if err != nil || info.Size != 6 {
		t.Fatalf("Stat = %+v, %v", info, err)
	}
}

type hashExpecter interface {
	ExpectedHash(ctx context.Context, src storage.Source) (string, error)
}

// The decorators must not hide the S3 backend's ExpectedHash, which MD5
// checks of differential backups need for multipart ETags.
func TestOpenStorageS3KeepsExpectedHash(t *testing.T) {
	cfg := parse(t, "[storage]\nstorage_provider = s3_compatible\nbucket_name = b\nhost = 127.0.0.1\nport = 1\nsecure = False\nfqdn = n1\nmulti_part_upload_threshold = 5MB\nmultipart_chunksize = 5MB\n")
	t.Setenv("AWS_ACCESS_KEY_ID", "id")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	b, err := New(cfg, nil).Storage(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	h, ok := storage.As[hashExpecter](b)
	if !ok {
		t.Fatal("ExpectedHash hidden by the decorators")
	}
	got, err := h.ExpectedHash(t.Context(), strings.NewReader(strings.Repeat("x", 6<<20)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(got, "-2") {
		t.Fatalf("ExpectedHash of a 6 MiB file with 5 MiB parts = %q, want a 2-part ETag", got)
	}
}

func TestOpenStorageUnknownProviderNamesIt(t *testing.T) {
	cfg := parse(t, "[storage]\nstorage_provider = local\nbucket_name = b\nbase_path = /tmp\nfqdn = n1\n")
	cfg.Storage.StorageProvider = "ftp"
	_, err := New(cfg, nil).Storage(t.Context())
	if err == nil || !strings.Contains(err.Error(), `"ftp"`) {
		t.Fatalf("error = %v", err)
	}
}
