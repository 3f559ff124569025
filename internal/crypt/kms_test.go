package crypt

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/testbed"
)

// kmsClient is the real SDK client on the test KMS.
func kmsClient(k *testbed.KMS) *kms.Client {
	return kms.New(kms.Options{Region: k.Region, BaseEndpoint: aws.String(k.URL), Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "secret", "")})
}

func listKeys(t *testing.T, b storage.Backend, prefix string) []string {
	t.Helper()
	var keys []string
	for o, err := range b.List(context.Background(), prefix) {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, o.Key)
	}
	return keys
}

func readObject(t *testing.T, b storage.Backend, key string) ([]byte, error) {
	t.Helper()
	r, _, err := b.Get(context.Background(), key, 0, -1)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// TestKMSKeys: with a KMS key, a process asks KMS for one data key
// (GenerateDataKey), stores it encrypted in the bucket and seals every
// object with it; another process decrypts it (Decrypt) once and reads
// the objects; objects of a key ring still read when the ring is given;
// refusals and a missing key object name what to do.
func TestKMSKeys(t *testing.T) {
	ctx := context.Background()
	k := testbed.KMST(t)
	api := kmsClient(k)
	base := t.TempDir()
	plain := localBackend(t, base)
	ringKey := testKey(t)
	ring := testRing(t, "r1", map[string][]byte{"r1": ringKey})

	// An object of the key ring, before KMS.
	old := New(plain, ring, "p/")
	if _, err := old.Put(ctx, "p/n1/b0/data/ks/t/old-Data.db", bytes.NewReader([]byte("ring data"))); err != nil {
		t.Fatal(err)
	}

	w := NewKMS(plain, NewKMSKeys(api, "alias/medusa", plain, "p/"), nil, "p/")
	content := bytes.Repeat([]byte("row data "), 20000)
	for _, key := range []string{"p/n1/b1/data/ks/t/a-Data.db", "p/n1/b1/meta/schema.cql"} {
		if _, err := w.Put(ctx, key, bytes.NewReader(content)); err != nil {
			t.Fatal(err)
		}
	}
	if n := k.Calls("GenerateDataKey"); n != 1 {
		t.Errorf("GenerateDataKey called %d times for two objects, want 1", n)
	}
	var keyObjs []string
	for o, err := range plain.List(ctx, "p/index/medusa_kms_keys/") {
		if err != nil {
			t.Fatal(err)
		}
		keyObjs = append(keyObjs, o.Key)
	}
	if len(keyObjs) != 1 || !strings.HasPrefix(keyObjs[0], "p/index/medusa_kms_keys/kms-") {
		t.Fatalf("key objects %v, want one under p/index/medusa_kms_keys/", keyObjs)
	}
	raw, err := readObject(t, plain, "p/n1/b1/data/ks/t/a-Data.db")
	if err != nil || !bytes.HasPrefix(raw, []byte(magic)) || bytes.Contains(raw, []byte("row data")) {
		t.Fatalf("stored object is not ciphertext (%v)", err)
	}
	id := string(raw[9 : 9+int(raw[8])])
	if KMSKeyObject("p/", id) != keyObjs[0] {
		t.Errorf("the object's key id %q does not name the key object %s", id, keyObjs[0])
	}

	// Another process: the KMS key id given may be any (KMS finds the
	// key in the blob); the data key is decrypted once.
	r := NewKMS(plain, NewKMSKeys(api, "some-other-key", plain, "p/"), ring, "p/")
	for _, key := range []string{"p/n1/b1/data/ks/t/a-Data.db", "p/n1/b1/meta/schema.cql"} {
		got, err := readObject(t, r, key)
		if err != nil || !bytes.Equal(got, content) {
			t.Fatalf("read %s through KMS: %v", key, err)
		}
	}
	if n := k.Calls("Decrypt"); n != 1 {
		t.Errorf("Decrypt called %d times, want 1 (cached)", n)
	}
	if got, err := readObject(t, r, "p/n1/b0/data/ks/t/old-Data.db"); err != nil || string(got) != "ring data" {
		t.Errorf("object of the key ring next to KMS: %q, %v", got, err)
	}
	// Without the ring, its objects name what to set.
	if _, err := readObject(t, NewKMS(plain, NewKMSKeys(api, "alias/medusa", plain, "p/"), nil, "p/"), "p/n1/b0/data/ks/t/old-Data.db"); err == nil ||
		!strings.Contains(err.Error(), `key id "r1" of a key ring`) || !strings.Contains(err.Error(), "encryption_key_file") {
		t.Errorf("ring object without the ring: %v", err)
	}
	// A key ring only, on KMS objects: names encryption_kms_key_id.
	if _, err := readObject(t, New(plain, ring, "p/"), "p/n1/b1/meta/schema.cql"); err == nil ||
		!strings.Contains(err.Error(), "set [storage] encryption_kms_key_id") {
		t.Errorf("KMS object read with a ring only: %v", err)
	}

	// Decrypt refused: the error names the action and the key.
	k.Deny("Decrypt", true)
	_, err = readObject(t, NewKMS(plain, NewKMSKeys(api, "alias/medusa", plain, "p/"), nil, "p/"), "p/n1/b1/meta/schema.cql")
	if err == nil || !strings.Contains(err.Error(), "kms:Decrypt") || !strings.Contains(err.Error(), k.KeyARN) ||
		!strings.Contains(err.Error(), "AccessDeniedException") {
		t.Errorf("refused Decrypt: %v", err)
	}
	k.Deny("Decrypt", false)
	k.Deny("GenerateDataKey", true)
	_, err = NewKMS(plain, NewKMSKeys(api, "alias/medusa", plain, "p/"), nil, "p/").Put(ctx, "p/n1/b2/meta/schema.cql", bytes.NewReader(content))
	if err == nil || !strings.Contains(err.Error(), "kms:GenerateDataKey") || !strings.Contains(err.Error(), "encryption_kms_key_id") {
		t.Errorf("refused GenerateDataKey: %v", err)
	}
	k.Deny("GenerateDataKey", false)

	// A disabled key, and one pending deletion, as AWS answers them: the
	// errors name the key and what to do; a refused Put writes nothing.
	for _, c := range []struct{ state, code, advice string }{
		{"Disabled", "DisabledException", "enable it (aws kms enable-key"},
		{"PendingDeletion", "KMSInvalidStateException", "cancel the deletion"},
	} {
		k.SetState(c.state)
		_, err = readObject(t, NewKMS(plain, NewKMSKeys(api, "alias/medusa", plain, "p/"), nil, "p/"), "p/n1/b1/meta/schema.cql")
		if err == nil || !strings.Contains(err.Error(), k.KeyARN) || !strings.Contains(err.Error(), c.code) ||
			!strings.Contains(err.Error(), c.advice) || strings.Contains(err.Error(), "needs kms:Decrypt") {
			t.Errorf("read with the key %s: %v", c.state, err)
		}
		_, err = NewKMS(plain, NewKMSKeys(api, "alias/medusa", plain, "p/"), nil, "p/").Put(ctx, "p/n1/b2/meta/schema.cql", bytes.NewReader(content))
		if err == nil || !strings.Contains(err.Error(), "alias/medusa") || !strings.Contains(err.Error(), c.code) ||
			!strings.Contains(err.Error(), c.advice) {
			t.Errorf("write with the key %s: %v", c.state, err)
		}
		if _, err := plain.Stat(ctx, "p/n1/b2/meta/schema.cql"); err == nil {
			t.Errorf("a write refused by KMS (%s) stored the object", c.state)
		}
		if n := len(listKeys(t, plain, "p/index/medusa_kms_keys/")); n != 1 {
			t.Errorf("%d key objects after a refused GenerateDataKey (%s), want 1", n, c.state)
		}
	}
	k.SetState("Enabled")

	// A changed key object fails authentication; a missing one says so.
	if _, err := plain.Put(ctx, keyObjs[0], bytes.NewReader([]byte(`{"kms_key_id":"x","ciphertext_blob":"AAAA"}`))); err != nil {
		t.Fatal(err)
	}
	_, err = readObject(t, NewKMS(plain, NewKMSKeys(api, "alias/medusa", plain, "p/"), nil, "p/"), "p/n1/b1/meta/schema.cql")
	if err == nil || !strings.Contains(err.Error(), "is damaged") {
		t.Errorf("changed key object: %v", err)
	}
	if err := plain.Delete(ctx, keyObjs[0]); err != nil {
		t.Fatal(err)
	}
	_, err = readObject(t, NewKMS(plain, NewKMSKeys(api, "alias/medusa", plain, "p/"), nil, "p/"), "p/n1/b1/meta/schema.cql")
	if err == nil || !strings.Contains(err.Error(), "which is missing") {
		t.Errorf("missing key object: %v", err)
	}
}
