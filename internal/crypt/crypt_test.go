package crypt

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/local"
	"github.com/medusa-go/medusa/internal/storage/storagetest"
)

func testKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func testRing(t *testing.T, current string, keys map[string][]byte) *Ring {
	t.Helper()
	r, err := NewRing("ring.keys", current, keys)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func localBackend(t *testing.T, base string) storage.Backend {
	t.Helper()
	b, err := local.New(local.Options{BasePath: base, Bucket: "bucket", Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// TestConformance: the decorated backend fulfils the storage contract.
func TestConformance(t *testing.T) {
	base := t.TempDir()
	ring := testRing(t, "k1", map[string][]byte{"k1": testKey(t)})
	storagetest.Run(t, func(t *testing.T) storage.Backend { return New(localBackend(t, base), ring, "p/") },
		storagetest.Capabilities{StatWithoutHash: true, LargeSize: 3<<20 + 17})
}

func TestSizes(t *testing.T) {
	for _, p := range []int64{0, 1, chunkSize - 1, chunkSize, chunkSize + 1, 5*chunkSize + 3, 7 * chunkSize} {
		c := CiphertextSize(p)
		got, ok := PlaintextSize(c)
		if !ok || got != p {
			t.Errorf("PlaintextSize(CiphertextSize(%d) = %d) = %d, %v", p, c, got, ok)
		}
	}
	for _, c := range []int64{0, HeaderSize, HeaderSize + tagSize - 1, HeaderSize + sealedSize + 5} {
		if p, ok := PlaintextSize(c); ok {
			t.Errorf("PlaintextSize(%d) = %d, true; want false", c, p)
		}
	}
}

// put stores data under key through b and returns the stored ciphertext
// file of the local backend under base.
func put(t *testing.T, b storage.Backend, key string, data []byte) {
	t.Helper()
	info, err := b.Put(t.Context(), key, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != int64(len(data)) {
		t.Fatalf("Put reported size %d, want the content's %d", info.Size, len(data))
	}
}

func read(ctx context.Context, b storage.Backend, key string, off, n int64) ([]byte, error) {
	r, _, err := b.Get(ctx, key, off, n)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

func pattern(n int) []byte {
	d := make([]byte, n)
	for i := range d {
		d[i] = byte(i*7 + i/251)
	}
	return d
}

func TestRoundTripAndCiphertext(t *testing.T) {
	base := t.TempDir()
	ring := testRing(t, "k1", map[string][]byte{"k1": testKey(t)})
	b := New(localBackend(t, base), ring, "p/")
	data := append([]byte("SSTABLE-MAGIC-ROW-known-bytes "), pattern(3*chunkSize+100)...)
	key := "p/node1/data/ks/t-1/nb-1-big-Data.db"
	put(t, b, key, data)
	stored, err := os.ReadFile(filepath.Join(base, "bucket", key))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(stored, []byte("known-bytes")) || int64(len(stored)) != CiphertextSize(int64(len(data))) {
		t.Fatalf("stored object holds plaintext or has size %d", len(stored))
	}
	for _, c := range [][2]int64{{0, -1}, {5, 10}, {chunkSize - 3, 10}, {chunkSize, chunkSize}, {2*chunkSize + 7, -1}, {int64(len(data)) - 1, 1}, {0, 0}} {
		got, err := read(t.Context(), b, key, c[0], c[1])
		if err != nil {
			t.Fatalf("Get(%d, %d): %v", c[0], c[1], err)
		}
		end := int64(len(data))
		if c[1] >= 0 {
			end = c[0] + c[1]
		}
		if !bytes.Equal(got, data[c[0]:end]) {
			t.Errorf("Get(%d, %d): %d bytes, not the content's", c[0], c[1], len(got))
		}
	}
	st, err := b.Stat(t.Context(), key)
	if err != nil || st.Size != int64(len(data)) {
		t.Errorf("Stat: size %d, %v; want %d", st.Size, err, len(data))
	}
	// Meta files Python Medusa lists with stay plain.
	meta := "p/node1/b1/meta/manifest.json"
	put(t, b, meta, []byte(`[]`))
	if raw, _ := os.ReadFile(filepath.Join(base, "bucket", meta)); string(raw) != "[]" {
		t.Errorf("manifest.json stored as %q, want plain", raw)
	}
}

func TestTamperTruncateWrongKey(t *testing.T) {
	base := t.TempDir()
	k1 := testKey(t)
	b := New(localBackend(t, base), testRing(t, "k1", map[string][]byte{"k1": k1}), "p/")
	data := pattern(2*chunkSize + 10)
	key := "data/x-Data.db"
	file := filepath.Join(base, "bucket", key)
	orig := func() []byte {
		put(t, b, key, data)
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	cases := map[string]func(raw []byte) []byte{
		"flip in chunk 1": func(raw []byte) []byte { raw[HeaderSize+sealedSize+9] ^= 1; return raw },
		"flip in header":  func(raw []byte) []byte { raw[aadSize+nonceSize+3] ^= 0x80; return raw },
		"flip nonce pfx":  func(raw []byte) []byte { raw[aadSize-1] ^= 1; return raw },
		"cut last chunk":  func(raw []byte) []byte { return raw[:HeaderSize+2*sealedSize] },
		"cut mid chunk":   func(raw []byte) []byte { return raw[:HeaderSize+sealedSize+100] },
		"extra chunk":     func(raw []byte) []byte { return append(raw, raw[HeaderSize:HeaderSize+sealedSize]...) },
		"swap chunks": func(raw []byte) []byte {
			c := bytes.Clone(raw[HeaderSize : HeaderSize+sealedSize])
			copy(raw[HeaderSize:], raw[HeaderSize+sealedSize:HeaderSize+2*sealedSize])
			copy(raw[HeaderSize+sealedSize:], c)
			return raw
		},
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(file, change(orig()), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := read(t.Context(), b, key, 0, -1)
			if !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), key) {
				t.Fatalf("read of a changed object: %v; want an authentication error naming %s", err, key)
			}
		})
	}
	t.Run("wrong key under the id", func(t *testing.T) {
		put(t, b, key, data)
		other := New(localBackend(t, base), testRing(t, "k1", map[string][]byte{"k1": testKey(t)}), "p/")
		_, err := read(t.Context(), other, key, 0, -1)
		if !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), `"k1"`) {
			t.Fatalf("read with a wrong key: %v; want an authentication error naming key id k1", err)
		}
	})
	t.Run("unknown key id", func(t *testing.T) {
		other := New(localBackend(t, base), testRing(t, "k2", map[string][]byte{"k2": k1}), "p/")
		_, err := read(t.Context(), other, key, 0, -1)
		if err == nil || !strings.Contains(err.Error(), `key id "k1"`) {
			t.Fatalf("read with a ring without k1: %v; want an error naming key id k1", err)
		}
	})
	t.Run("plain object", func(t *testing.T) {
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := read(t.Context(), b, key, 0, -1)
		if err == nil || !strings.Contains(err.Error(), "not encrypted") {
			t.Fatalf("read of a plain object: %v; want \"not encrypted\"", err)
		}
	})
}

func TestRotation(t *testing.T) {
	base := t.TempDir()
	k1, k2 := testKey(t), testKey(t)
	old := New(localBackend(t, base), testRing(t, "k1", map[string][]byte{"k1": k1}), "p/")
	put(t, old, "data/old", []byte("old content"))
	ring, err := ParseRing("ring", []byte("# rotated\nk1 = "+base64.StdEncoding.EncodeToString(k1)+
		"\nk2 = "+base64.StdEncoding.EncodeToString(k2)+"\ncurrent = k2\n"))
	if err != nil {
		t.Fatal(err)
	}
	b := New(localBackend(t, base), ring, "p/")
	put(t, b, "data/new", []byte("new content"))
	for key, want := range map[string]string{"data/old": "old content", "data/new": "new content"} {
		got, err := read(t.Context(), b, key, 0, -1)
		if err != nil || string(got) != want {
			t.Errorf("%s: %q, %v", key, got, err)
		}
	}
	raw, _ := os.ReadFile(filepath.Join(base, "bucket", "data/new"))
	if !bytes.Contains(raw[:HeaderSize], []byte("k2")) {
		t.Error("new object not encrypted with the current key k2")
	}
}

func TestParseRingErrors(t *testing.T) {
	good := base64.StdEncoding.EncodeToString(make([]byte, 32))
	for text, want := range map[string]string{
		"":                                "holds no key",
		"k1 abc":                          "line 1",
		"k1 = notbase64!":                 "not valid base64",
		"k1 = " + good[:8]:                "want 32",
		"k1 = " + good + "\ncurrent = x":  `current key "x"`,
		"bad id = " + good:                "key id",
		"k1 = " + good + "\nk1 = " + good: "twice",
	} {
		_, err := ParseRing("f", []byte(text))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseRing(%q): %v; want %q", text, err, want)
		}
		if err != nil && len(good) > 8 && strings.Contains(err.Error(), good) {
			t.Errorf("error shows the key: %v", err)
		}
	}
}

func TestLoadRingMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys")
	line := "k1 = " + base64.StdEncoding.EncodeToString(testKey(t)) + "\n"
	if err := os.WriteFile(path, []byte(line), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadRing(path, nil); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a world-writable key ring: %v; want a refusal naming chmod 600", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := LoadRing(path, nil)
	if err != nil || r.Current != "k1" {
		t.Fatalf("LoadRing: %v, %v", r, err)
	}
}

func TestCheckMode(t *testing.T) {
	b := localBackend(t, t.TempDir())
	ctx := t.Context()
	if err := CheckMode(ctx, b, "p/", false); err != nil {
		t.Fatalf("plain on an empty prefix: %v", err)
	}
	if _, err := b.Put(ctx, "plain/index/backup_index/b1/finished_n1_1.timestamp", strings.NewReader("1")); err != nil {
		t.Fatal(err)
	}
	if err := CheckMode(ctx, b, "plain/", true); err == nil || !strings.Contains(err.Error(), "plain backups") {
		t.Fatalf("encrypting into a prefix of plain backups: %v; want a refusal", err)
	}
	if err := CheckMode(ctx, b, "p/", true); err != nil {
		t.Fatalf("encryption on an empty prefix: %v", err)
	}
	if err := CheckMode(ctx, b, "p/", true); err != nil {
		t.Fatalf("encryption again: %v", err)
	}
	if err := CheckMode(ctx, b, "p/", false); err == nil || !strings.Contains(err.Error(), "encryption_key_file") {
		t.Fatalf("plain into an encrypted prefix: %v; want a refusal naming encryption_key_file", err)
	}
}

// TestCheckModeMigrating: while encrypt-backups runs (or after it was
// interrupted) every command refuses the prefix, with a key ring or
// without; once it finished, the prefix is encrypted.
func TestCheckModeMigrating(t *testing.T) {
	b := localBackend(t, t.TempDir())
	ctx := t.Context()
	if err := WriteMarker(ctx, b, "p/", true); err != nil {
		t.Fatal(err)
	}
	if m, err := ReadMarker(ctx, b, "p/"); err != nil || !m.Migrating || m.Mode != ModeClientSide {
		t.Fatalf("marker %+v, %v", m, err)
	}
	for _, encrypt := range []bool{true, false} {
		if err := CheckMode(ctx, b, "p/", encrypt); err == nil || !strings.Contains(err.Error(), "run medusa encrypt-backups") {
			t.Errorf("encrypt=%v during the migration: %v; want a refusal naming encrypt-backups", encrypt, err)
		}
	}
	if err := WriteMarker(ctx, b, "p/", false); err != nil {
		t.Fatal(err)
	}
	if m, err := ReadMarker(ctx, b, "p/"); err != nil || m.Migrating {
		t.Fatalf("marker %+v, %v", m, err)
	}
	if err := CheckMode(ctx, b, "p/", true); err != nil {
		t.Errorf("after the migration: %v", err)
	}
}

func TestEncrypted(t *testing.T) {
	for key, want := range map[string]bool{
		"p/index/backup_index/b1/manifest_n1.json":          false,
		"p/index/" + MarkerName:                             false,
		"p/n1/b1/meta/manifest.json":                        false,
		"p/n1/b1/meta/tokenmap.json":                        false,
		"p/n1/b1/meta/differential":                         false,
		"p/n1/b1/meta/schema.cql":                           true,
		"p/n1/data/index/t-1/nb-1-big-Data.db":              true, // a keyspace named index
		"p/n1/data/ks/meta/manifest.json":                   true,
		"p/n1/b1/data/ks/t-1/manifest.json":                 true,
		"index/backup_index/b1/manifest_n1.json":            true, // another prefix's
		"p/n1/data/ks/t-1/.t_idx/nb-1-big-Statistics.db":    true,
		"p/index/backup_index/b1/schema_n1.cql":             true, // the index's copy of schema.cql
		"p/index/backup_index/b1/tokenmap_n1.json":          false,
		"p/index/latest_backup/n1/tokenmap.json":            false,
		"p/index/medusa_kms_keys/kms-0123456789abcdef.json": false,
	} {
		if got := Encrypted("p/", key); got != want {
			t.Errorf("Encrypted(%q) = %v, want %v", key, got, want)
		}
	}
	// encrypt_metadata: the manifests and token maps too, nothing else.
	for key, want := range map[string]bool{
		"p/index/backup_index/b1/manifest_n1.json":                 true,
		"p/index/backup_index/b1/tokenmap_n1.json":                 true,
		"p/index/latest_backup/n1/tokenmap.json":                   true,
		"p/n1/b1/meta/manifest.json":                               true,
		"p/n1/b1/meta/tokenmap.json":                               true,
		"p/index/backup_index/b1/started_n1_1700000000.timestamp":  false,
		"p/index/backup_index/b1/finished_n1_1700000000.timestamp": false,
		"p/index/backup_index/b1/differential_n1":                  false,
		"p/index/latest_backup/n1/backup_name.txt":                 false,
		"p/index/" + MarkerName:                                    false,
		"p/index/medusa_kms_keys/kms-0123456789abcdef.json":        false,
		"p/n1/b1/meta/server_version.json":                         false,
		"p/n1/b1/meta/differential":                                false,
		"p/n1/b1/meta/schema.cql":                                  true,
	} {
		if got := EncryptedWithMetadata("p/", key); got != want {
			t.Errorf("EncryptedWithMetadata(%q) = %v, want %v", key, got, want)
		}
	}
}

// TestCheckModeMetadata: every medusa of a prefix agrees on whether the
// manifests and token maps are encrypted.
func TestCheckModeMetadata(t *testing.T) {
	ctx := context.Background()
	b := localBackend(t, t.TempDir())
	if err := CheckModeMetadata(ctx, b, "m/", true, true); err != nil {
		t.Fatal(err)
	}
	if m, err := ReadMarker(ctx, b, "m/"); err != nil || !m.Metadata || m.Mode != ModeClientSide {
		t.Fatalf("marker = %+v, %v", m, err)
	}
	if err := CheckModeMetadata(ctx, b, "m/", true, true); err != nil {
		t.Error(err)
	}
	if err := CheckMode(ctx, b, "m/", true); err == nil || !strings.Contains(err.Error(), "set [storage] encrypt_metadata = true") {
		t.Errorf("without encrypt_metadata on a prefix with encrypted metadata: %v", err)
	}
	if err := CheckMode(ctx, b, "n/", true); err != nil {
		t.Fatal(err)
	}
	if err := CheckModeMetadata(ctx, b, "n/", true, true); err == nil || !strings.Contains(err.Error(), "applies only to a new prefix") {
		t.Errorf("encrypt_metadata on a prefix with plain metadata: %v", err)
	}
	// Round trip of a manifest with metadata encryption.
	e := New(b, testRing(t, "k1", map[string][]byte{"k1": testKey(t)}), "m/").EncryptMetadata(true)
	if _, err := e.Put(ctx, "m/n1/b1/meta/manifest.json", bytes.NewReader([]byte(`[{"keyspace":"ks"}]`))); err != nil {
		t.Fatal(err)
	}
	raw, err := storage.ReadAll(ctx, b, "m/n1/b1/meta/manifest.json")
	if err != nil || !bytes.HasPrefix(raw, []byte(magic)) {
		t.Fatalf("manifest.json is not ciphertext with encrypt_metadata (%v)", err)
	}
	got, err := storage.ReadAll(ctx, e, "m/n1/b1/meta/manifest.json")
	if err != nil || string(got) != `[{"keyspace":"ks"}]` {
		t.Errorf("manifest.json read back: %q, %v", got, err)
	}
}
