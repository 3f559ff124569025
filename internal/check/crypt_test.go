package check

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/medusa-go/medusa/internal/crypt"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/local"
	"github.com/medusa-go/medusa/internal/testbed"
)

func ringLine(id string, b byte) string {
	return id + " = " + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, crypt.KeySize)) + "\n"
}

func writeRing(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "backup.keys")
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func runEnc(t *testing.T, e *Encryption) map[string]Result {
	t.Helper()
	out := map[string]Result{}
	for _, r := range Run(t.Context(), e.Checks(), 0, nil).Results {
		out[r.Name] = r
		t.Logf("%-5s %-22s %s -> %s", r.Status, r.Name, r.Detail, r.Fix)
	}
	return out
}

func TestKeyRingCheck(t *testing.T) {
	good := ringLine("2026-01", 1) + ringLine("2026-07", 2) + "current = 2026-07\n"
	for _, c := range []struct {
		name, content string
		mode          os.FileMode
		status        Status
		contains      []string
	}{
		{"good", good, 0o600, OK, []string{"2 key(s) (2026-01, 2026-07)", `current "2026-07"`, "0600"}},
		{"group-readable", good, 0o640, WARN, []string{"readable by its group", "chmod 600"}},
		{"world-readable", good, 0o644, FAIL, []string{"readable by every user", "chmod 600"}},
		{"group-writable", good, 0o620, FAIL, []string{"writable by group or others"}},
		{"duplicate-id", ringLine("a", 1) + ringLine("a", 2), 0o600, FAIL, []string{`key id "a" appears twice`}},
		{"current-missing", ringLine("a", 1) + "current = b\n", 0o600, FAIL, []string{`current key "b" is not in the file`}},
		{"short-key", "a = " + base64.StdEncoding.EncodeToString([]byte("short")) + "\n", 0o600, FAIL, []string{"is 5 bytes, want 32"}},
		{"empty", "# nothing\n", 0o600, FAIL, []string{"holds no key"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := writeRing(t, c.content, c.mode)
			got := runEnc(t, &Encryption{KeyRingFile: p})
			want(t, got, "encryption/key-ring", c.status, c.contains...)
			if r := got["encryption/key-ring"]; strings.Contains(r.Detail+r.Fix, base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, crypt.KeySize))) {
				t.Error("the result shows a key")
			}
			want(t, got, "encryption/marker", SKIP)
		})
	}
	got := runEnc(t, &Encryption{KeyRingFile: filepath.Join(t.TempDir(), "missing.keys")})
	want(t, got, "encryption/key-ring", FAIL, "no such file", "openssl rand -base64 32")
	got = runEnc(t, &Encryption{})
	want(t, got, "encryption/key-ring", SKIP, "sets no encryption_key_file")
}

func TestEncryptionMarkerCheck(t *testing.T) {
	ctx := context.Background()
	newStore := func(t *testing.T) storage.Backend {
		b, err := local.New(local.Options{BasePath: t.TempDir(), Bucket: "b", Create: true})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	put := func(t *testing.T, b storage.Backend, key, body string) {
		t.Helper()
		if _, err := b.Put(ctx, key, bytes.NewReader([]byte(body))); err != nil {
			t.Fatal(err)
		}
	}
	ring := writeRing(t, ringLine("k1", 1), 0o600)
	const prefix = "p/"

	// Plain prefix, no ring: nothing to say.
	b := newStore(t)
	got := runEnc(t, &Encryption{Backend: b, Prefix: prefix})
	want(t, got, "encryption/marker", OK, "holds no client-side encrypted backups")

	// A ring on an empty prefix: the first backup marks it.
	got = runEnc(t, &Encryption{KeyRingFile: ring, Backend: b, Prefix: prefix})
	want(t, got, "encryption/marker", OK, "holds no backup yet")
	if _, err := b.Stat(ctx, crypt.MarkerKey(prefix)); err == nil {
		t.Error("the check wrote the marker")
	}

	// A ring on a prefix with plain backups: refused by every command.
	put(t, b, prefix+"index/backup_index/b1/manifest_n1.json", "{}")
	got = runEnc(t, &Encryption{KeyRingFile: ring, Backend: b, Prefix: prefix})
	want(t, got, "encryption/marker", FAIL, "holds plain backups", "index/backup_index/b1/manifest_n1.json", "use a new [storage] prefix")

	// An encrypted prefix (marker written by crypt.CheckMode).
	b = newStore(t)
	if err := crypt.CheckMode(ctx, b, prefix, true); err != nil {
		t.Fatal(err)
	}
	got = runEnc(t, &Encryption{KeyRingFile: ring, Backend: b, Prefix: prefix})
	want(t, got, "encryption/marker", OK, "marked client-side encrypted")
	got = runEnc(t, &Encryption{Backend: b, Prefix: prefix})
	want(t, got, "encryption/marker", FAIL, "are client-side encrypted", "set [storage] encryption_key_file")

	// An interrupted encrypt-backups: refused with or without the ring.
	if err := crypt.WriteMarker(ctx, b, prefix, true); err != nil {
		t.Fatal(err)
	}
	for _, e := range []*Encryption{{KeyRingFile: ring, Backend: b, Prefix: prefix}, {Backend: b, Prefix: prefix}} {
		got = runEnc(t, e)
		want(t, got, "encryption/marker", FAIL, "being encrypted", "run medusa encrypt-backups")
	}

	// A damaged marker, and one of an unknown mode.
	put(t, b, crypt.MarkerKey(prefix), "{not json")
	got = runEnc(t, &Encryption{KeyRingFile: ring, Backend: b, Prefix: prefix})
	want(t, got, "encryption/marker", FAIL, "is damaged")
	put(t, b, crypt.MarkerKey(prefix), `{"mode":"kms-envelope","format":9}`)
	got = runEnc(t, &Encryption{KeyRingFile: ring, Backend: b, Prefix: prefix})
	want(t, got, "encryption/marker", FAIL, `records mode "kms-envelope"`)
}

func TestKMSCheck(t *testing.T) {
	ctx := context.Background()
	k := testbed.KMST(t)
	api := kms.New(kms.Options{Region: k.Region, BaseEndpoint: aws.String(k.URL), Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "secret", "")})
	b, err := local.New(local.Options{BasePath: t.TempDir(), Bucket: "b", Create: true})
	if err != nil {
		t.Fatal(err)
	}
	e := &Encryption{KMSKeyID: "alias/medusa", KMS: api, Backend: b, Prefix: "p/"}
	got := runEnc(t, e)
	want(t, got, "encryption/key-ring", SKIP, "data keys of KMS key alias/medusa")
	want(t, got, "encryption/kms", OK, k.KeyARN, "kms:GenerateDataKey", "no data key stored yet")
	want(t, got, "encryption/marker", OK, "holds no backup yet")

	// A data key stored by a backup: the check decrypts it.
	enc := crypt.NewKMS(b, crypt.NewKMSKeys(api, "alias/medusa", b, "p/"), nil, "p/")
	if _, err := enc.Put(ctx, "p/n1/b1/meta/schema.cql", bytes.NewReader([]byte("CREATE TABLE"))); err != nil {
		t.Fatal(err)
	}
	got = runEnc(t, e)
	want(t, got, "encryption/kms", OK, "1 data keys stored", "(kms:Decrypt)")

	k.Deny("Decrypt", true)
	got = runEnc(t, e)
	want(t, got, "encryption/kms", FAIL, "kms:GenerateDataKey)", "AccessDeniedException", "grant kms:GenerateDataKey and kms:Decrypt")
	k.Deny("Decrypt", false)
	k.Deny("GenerateDataKey", true)
	got = runEnc(t, e)
	want(t, got, "encryption/kms", FAIL, "GenerateDataKey with key alias/medusa", "AccessDeniedException")
	k.Deny("GenerateDataKey", false)

	// A disabled key, one pending deletion: the fix says what to do.
	k.SetState("Disabled")
	got = runEnc(t, e)
	want(t, got, "encryption/kms", FAIL, "GenerateDataKey with key alias/medusa", "DisabledException", "enable it (aws kms enable-key")
	k.SetState("PendingDeletion")
	got = runEnc(t, e)
	want(t, got, "encryption/kms", FAIL, "KMSInvalidStateException", "cancel the deletion")
	k.SetState("Enabled")

	got = runEnc(t, &Encryption{KMSKeyID: "alias/medusa", KMSErr: errors.New("set [storage] region"), Backend: b, Prefix: "p/"})
	want(t, got, "encryption/kms", FAIL, "no KMS client: set [storage] region")
}
