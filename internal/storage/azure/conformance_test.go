package azure

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"

	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/retry"
	"github.com/medusa-go/medusa/internal/storage/storagetest"
	"github.com/medusa-go/medusa/internal/testbed"
)

// testBlock is the block size of the integration tests: small, so
// multi-block uploads stay quick.
const testBlock = 1 << 20

func azuriteOptions(a *testbed.Azurite) Options {
	return Options{Account: a.Account, Key: a.Key, Endpoint: a.BlobEndpoint, Container: a.Container, BlockSize: testBlock}
}

func newTestBackend(t *testing.T, opts Options) *Backend {
	t.Helper()
	b, err := New(opts)
	if err != nil {
		t.Fatalf("azure.New: %v", err)
	}
	return b
}

// TestConformance runs the shared suite against Azurite. SSE-C (customer
// keys) is not offered by this backend.
func TestConformance(t *testing.T) {
	t.Run("azure", func(t *testing.T) {
		a := testbed.AzuriteT(t)
		opts := azuriteOptions(a)
		storagetest.Run(t, func(t *testing.T) storage.Backend { return newTestBackend(t, opts) },
			storagetest.Capabilities{
				ExpectedHash: storagetest.Base64MD5,
				GetHash:      true,
				Resume: func(b storage.Backend) storage.Backend {
					return retry.New(b, retry.Policy{BaseDelay: time.Millisecond})
				},
				PartSize: testBlock,
				MissingBucket: func(t *testing.T) storage.Backend {
					o := opts
					o.Container = "no-such-container"
					return newTestBackend(t, o)
				},
			})
	})
}

// TestAzurite covers what the suite does not: committed block count and
// Content-MD5 of a multi-block upload, the access tier, key-file
// credentials, a wrong key, batch deletes.
func TestAzurite(t *testing.T) {
	a := testbed.AzuriteT(t)
	client, err := a.Client()
	if err != nil {
		t.Fatal(err)
	}
	props := func(t *testing.T, key string) blob.GetPropertiesResponse {
		t.Helper()
		p, err := client.ServiceClient().NewContainerClient(a.Container).NewBlobClient(key).GetProperties(t.Context(), nil)
		if err != nil {
			t.Fatalf("GetProperties(%s): %v", key, err)
		}
		return p
	}

	t.Run("multi-block hash and tier", func(t *testing.T) {
		o := azuriteOptions(a)
		o.BlockSize, o.Tier = 256<<10, "COOL"
		b := newTestBackend(t, o)
		defer b.Close()
		src := storagetest.Pattern{N: 3*(256<<10) + 999, Seed: 5}
		sum := md5.Sum(src.Bytes())
		want := base64.StdEncoding.EncodeToString(sum[:])
		info, err := b.Put(t.Context(), "blocks/nb-1-big-Data.db", src)
		if err != nil || info.Hash != want || info.Size != src.N {
			t.Fatalf("Put = %+v, %v; want hash %s size %d", info, err, want, src.N)
		}
		p := props(t, "blocks/nb-1-big-Data.db")
		if got := base64.StdEncoding.EncodeToString(p.ContentMD5); got != want {
			t.Errorf("Content-MD5 = %s, want %s", got, want)
		}
		if p.AccessTier == nil || *p.AccessTier != string(blob.AccessTierCool) {
			t.Errorf("access tier = %v, want Cool", p.AccessTier)
		}
		bl, err := client.ServiceClient().NewContainerClient(a.Container).NewBlockBlobClient("blocks/nb-1-big-Data.db").
			GetBlockList(t.Context(), blockblob.BlockListTypeCommitted, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(bl.CommittedBlocks); n != 4 {
			t.Errorf("committed %d blocks, want 4 (3 full blocks and a tail)", n)
		}
	})

	t.Run("single request hash", func(t *testing.T) {
		b := newTestBackend(t, azuriteOptions(a))
		defer b.Close()
		data := []byte("CREATE TABLE ks.t (id int PRIMARY KEY);")
		sum := md5.Sum(data)
		if _, err := b.Put(t.Context(), "meta/schema.cql", bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		if got, want := base64.StdEncoding.EncodeToString(props(t, "meta/schema.cql").ContentMD5),
			base64.StdEncoding.EncodeToString(sum[:]); got != want {
			t.Errorf("Content-MD5 = %s, want %s", got, want)
		}
	})

	t.Run("key file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "azure.json")
		body := fmt.Sprintf(`{"storage_account": %q, "key": %q}`, a.Account, a.Key)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		b := newTestBackend(t, Options{KeyFile: path, Endpoint: a.BlobEndpoint, Container: a.Container})
		defer b.Close()
		if _, err := b.Put(t.Context(), "keyfile/x", strings.NewReader("x")); err != nil {
			t.Fatalf("Put with key-file credentials: %v", err)
		}
		if _, err := b.Stat(t.Context(), "keyfile/x"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("wrong key", func(t *testing.T) {
		o := azuriteOptions(a)
		o.Key = base64.StdEncoding.EncodeToString([]byte("not the account key"))
		b := newTestBackend(t, o)
		defer b.Close()
		_, err := b.Put(t.Context(), "denied/x", strings.NewReader("x"))
		if !errors.Is(err, storage.ErrAccessDenied) || storage.IsTransient(err) {
			t.Fatalf("Put with a wrong key: %v, want a permanent ErrAccessDenied", err)
		}
		if strings.Contains(err.Error(), o.Key) || strings.Contains(err.Error(), a.Key) {
			t.Errorf("error leaks a key: %v", err)
		}
		var listErr error
		for _, err := range b.List(t.Context(), "") {
			listErr = err
		}
		if !errors.Is(listErr, storage.ErrAccessDenied) {
			t.Errorf("List with a wrong key: %v, want ErrAccessDenied", listErr)
		}
	})

	t.Run("folder placeholders", func(t *testing.T) {
		b := newTestBackend(t, azuriteOptions(a))
		defer b.Close()
		cc := client.ServiceClient().NewContainerClient(a.Container)
		folder := "true"
		if _, err := cc.NewBlockBlobClient("hns/dir").Upload(t.Context(), streaming.NopCloser(strings.NewReader("")),
			&blockblob.UploadOptions{Metadata: map[string]*string{"hdi_isfolder": &folder}}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Put(t.Context(), "hns/dir/file", strings.NewReader("f")); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for info, err := range b.List(t.Context(), "hns/") {
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, info.Key)
		}
		if fmt.Sprint(keys) != "[hns/dir/file]" {
			t.Errorf("List = %q, want only the file (hdi_isfolder placeholder skipped)", keys)
		}
	})

	t.Run("batch delete", func(t *testing.T) {
		b := newTestBackend(t, azuriteOptions(a))
		defer b.Close()
		var keys []string
		for i := range 300 {
			key := fmt.Sprintf("batch/%03d", i)
			if i%3 != 0 { // every third key is never written
				if _, err := b.Put(t.Context(), key, strings.NewReader(key)); err != nil {
					t.Fatal(err)
				}
			}
			keys = append(keys, key)
		}
		if err := b.DeleteMany(t.Context(), keys); err != nil {
			t.Fatalf("DeleteMany: %v", err)
		}
		for info, err := range b.List(t.Context(), "batch/") {
			t.Errorf("left after DeleteMany: %+v %v", info, err)
		}
		if b.noBatch.Load() {
			t.Error("Azurite refused the blob batch; DeleteMany fell back to single deletes")
		}
	})
}
