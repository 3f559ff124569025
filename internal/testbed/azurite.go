package testbed

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
)

// Azurite's well-known development account (public, documented by Microsoft).
const (
	AzuriteAccount = "devstoreaccount1"
	AzuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// Azurite is the Azure Blob emulator (blob service only). It runs with
// --skipApiVersionCheck, which azblob v1.8.3 needs (its API version is newer
// than Azurite 3.35.0 knows), and --loose.
type Azurite struct {
	Account          string
	Key              string
	BlobEndpoint     string // http://127.0.0.1:port/devstoreaccount1
	ConnectionString string
	Container        string // created at start
	Host             string // 127.0.0.1
	Port             int
	Dir              string

	proc *Proc
}

// StartAzurite starts azurite-blob with its data in dir and creates the
// container DefaultBucket. ctx bounds the start only; Stop ends the server.
func StartAzurite(ctx context.Context, dir string) (*Azurite, error) {
	bin, err := toolPath("azurite", filepath.Join("azurite", "node_modules", ".bin", "azurite-blob"), AzuriteVersion)
	if err != nil {
		return nil, err
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return nil, err
	}
	a := &Azurite{Account: AzuriteAccount, Key: AzuriteKey, Host: "127.0.0.1", Dir: dir}
	a.proc, a.Port, err = startOnFreePort(func(port int) (*Proc, error) {
		p, err := StartProc(ProcSpec{Name: "azurite", Path: bin, Dir: dir, Args: []string{
			"--blobHost", "127.0.0.1", "--blobPort", fmt.Sprint(port), "--location", data,
			"--skipApiVersionCheck", "--loose", "--disableTelemetry",
		}})
		if err != nil {
			return nil, err
		}
		if err := p.WaitTCP(ctx, hostPort(port), 60*time.Second); err != nil {
			p.Stop()
			return p, err
		}
		return p, nil
	})
	if err != nil {
		return nil, err
	}
	a.BlobEndpoint = fmt.Sprintf("http://%s/%s", hostPort(a.Port), a.Account)
	a.ConnectionString = fmt.Sprintf("DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=%s;",
		a.Account, a.Key, a.BlobEndpoint)
	if err := a.NewContainer(ctx, DefaultBucket); err != nil {
		a.Stop()
		return nil, err
	}
	a.Container = DefaultBucket
	return a, nil
}

// AzuriteT starts Azurite for a test (see startT for the contract).
func AzuriteT(t testing.TB) *Azurite {
	t.Helper()
	return startT(t, "an Azure Blob emulator (Azurite)", StartAzurite)
}

// Stop kills the server.
func (a *Azurite) Stop() { a.proc.Stop() }

// Client is an azblob client for the emulator's account.
func (a *Azurite) Client() (*azblob.Client, error) {
	c, err := azblob.NewClientFromConnectionString(a.ConnectionString, nil)
	if err != nil {
		return nil, fmt.Errorf("azurite client: %w", err)
	}
	return c, nil
}

// NewContainer creates a blob container.
func (a *Azurite) NewContainer(ctx context.Context, name string) error {
	c, err := a.Client()
	if err != nil {
		return err
	}
	if _, err := c.CreateContainer(ctx, name, nil); err != nil {
		return fmt.Errorf("create container %s: %w", name, err)
	}
	return nil
}

// KeyFileT writes the emulator's account and key as medusa's Azure
// key_file ({"storage_account": ..., "key": ...}, mode 0600) in a
// temporary directory of t and returns its path.
func (a *Azurite) KeyFileT(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "azure.json")
	data, err := json.Marshal(map[string]string{"storage_account": a.Account, "key": a.Key})
	if err == nil {
		err = os.WriteFile(path, data, 0o600)
	}
	if err != nil {
		t.Fatalf("write the Azure key_file: %v", err)
	}
	return path
}
