package app

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/checksum"
)

// TestStorageEncryption: encryption_key_file puts client-side encryption
// in the stack (ciphertext on disk, content back, content hashes off), an
// unsafe key ring is a configuration error, and a plain configuration is
// refused on the encrypted prefix.
func TestStorageEncryption(t *testing.T) {
	base, dir := t.TempDir(), t.TempDir()
	ring := filepath.Join(dir, "keys")
	if err := os.WriteFile(ring, []byte("k1 = "+base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	plainINI := "[storage]\nstorage_provider = local\nbucket_name = b\nbase_path = " + base + "\nfqdn = n1\nprefix = p\n"
	a := New(parse(t, plainINI+"encryption_key_file = "+ring+"\n"), nil)
	b, err := a.Storage(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	key := "p/n1/x/meta/schema.cql"
	if _, err := b.Put(t.Context(), key, strings.NewReader("CREATE TABLE")); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(base, "b", key))
	if err != nil || bytes.Contains(raw, []byte("CREATE")) {
		t.Fatalf("schema.cql stored as plaintext (%v)", err)
	}
	if got, err := storage.ReadAll(t.Context(), b, key); err != nil || string(got) != "CREATE TABLE" {
		t.Fatalf("read back %q, %v", got, err)
	}
	if checksum.HashesAreContent(b) || !skipContentHash(a.Config.Storage) {
		t.Error("content hashes not turned off with encryption")
	}

	plain := New(parse(t, plainINI), nil)
	pb, err := plain.Storage(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer pb.Close()
	if err := plain.refusePlainOnEncrypted(t.Context(), pb); err == nil || !strings.Contains(err.Error(), "encryption_key_file") {
		t.Fatalf("plain configuration on an encrypted prefix: %v; want a refusal", err)
	}

	if err := os.Chmod(ring, 0o666); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Storage(t.Context()); !storage.IsMisconfigured(err) || !strings.Contains(err.Error(), "encryption_key_file") {
		t.Fatalf("a world-writable key ring: %v; want a configuration error", err)
	}
}
