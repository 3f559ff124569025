package testbed

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
)

func TestMotoMissingNamesInstallScript(t *testing.T) {
	checkVenvMissing(t, "moto-"+MotoVersion, "moto_server", MotoVersion, "moto/install.sh", MotoServer)
}

// listensOn returns the local addresses of the listening TCP sockets of
// port (from /proc/net/tcp and tcp6), e.g. "0100007F" for 127.0.0.1.
func listensOn(t *testing.T, port int) []string {
	t.Helper()
	var addrs []string
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			fields := strings.Fields(line)
			if len(fields) < 4 || fields[3] != "0A" { // 0A: LISTEN
				continue
			}
			addr, p, ok := strings.Cut(fields[1], ":")
			if ok && p == fmt.Sprintf("%04X", port) {
				addrs = append(addrs, addr)
			}
		}
	}
	return addrs
}

func kmsErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// TestMotoKMS starts moto's KMS: it listens on 127.0.0.1 only, its key
// and alias give 32-byte data keys whose blobs decrypt only with their
// encryption context; and it pins what moto does not do like AWS: a
// disabled key or one pending deletion still serves (AWS answers
// DisabledException and KMSInvalidStateException), which is why the e2e
// tests show a lost key by deleting the alias and wiping the server.
func TestMotoKMS(t *testing.T) {
	t0 := time.Now()
	m := MotoKMST(t)
	startedIn(t, "moto "+MotoVersion, t0)
	if got := listensOn(t, m.Port); len(got) != 1 || got[0] != "0100007F" {
		t.Errorf("moto listens on %v (hex, /proc/net/tcp), want 127.0.0.1 (0100007F) only", got)
	}
	if !strings.HasPrefix(m.KeyARN, "arn:aws:kms:"+m.Region+":") || !strings.HasSuffix(m.KeyARN, "/"+m.KeyID) || m.Alias != MotoKMSAlias {
		t.Errorf("key %s (id %s, alias %s)", m.KeyARN, m.KeyID, m.Alias)
	}
	ctx := t.Context()
	c := m.Client()
	encCtx := map[string]string{"purpose": "test"}
	dk, err := c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: aws.String(m.Alias),
		KeySpec: types.DataKeySpecAes256, EncryptionContext: encCtx})
	if err != nil {
		t.Fatalf("GenerateDataKey with %s: %v", m.Alias, err)
	}
	if aws.ToString(dk.KeyId) != m.KeyARN || len(dk.Plaintext) != 32 || bytes.Contains(dk.CiphertextBlob, dk.Plaintext) {
		t.Errorf("GenerateDataKey: key %s, %d bytes", aws.ToString(dk.KeyId), len(dk.Plaintext))
	}
	dec, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: dk.CiphertextBlob, EncryptionContext: encCtx})
	if err != nil || !bytes.Equal(dec.Plaintext, dk.Plaintext) || aws.ToString(dec.KeyId) != m.KeyARN {
		t.Errorf("Decrypt: %v", err)
	}
	for _, other := range []map[string]string{nil, {"purpose": "other"}} {
		_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: dk.CiphertextBlob, EncryptionContext: other})
		if code := kmsErrorCode(err); code != "InvalidCiphertextException" {
			t.Errorf("Decrypt with context %v: %v, want InvalidCiphertextException", other, err)
		}
	}
	if _, err := c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: aws.String("alias/none"), KeySpec: types.DataKeySpecAes256}); kmsErrorCode(err) != "NotFoundException" {
		t.Errorf("GenerateDataKey with an unknown alias: %v, want NotFoundException", err)
	}

	// Key states are recorded but not enforced by moto.
	if _, err := c.DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(m.KeyID)}); err != nil {
		t.Fatal(err)
	}
	if st, err := m.KeyState(ctx, m.KeyID); err != nil || st != types.KeyStateDisabled {
		t.Errorf("state after DisableKey: %s, %v", st, err)
	}
	if _, err := c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: aws.String(m.Alias), KeySpec: types.DataKeySpecAes256}); err != nil {
		t.Errorf("moto %s refuses a disabled key (%v): AWS does too (DisabledException); show it in internal/e2e and docs/encryption.md", MotoVersion, err)
	}
	if _, err := c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(m.KeyID), PendingWindowInDays: aws.Int32(7)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: dk.CiphertextBlob, EncryptionContext: encCtx}); err != nil {
		t.Errorf("moto %s refuses a key pending deletion (%v): AWS does too (KMSInvalidStateException); show it in internal/e2e and docs/encryption.md", MotoVersion, err)
	}

	// Wiped (as after the deletion window): the blob names a key that is gone.
	if err := m.Wipe(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: dk.CiphertextBlob, EncryptionContext: encCtx})
	if kmsErrorCode(err) != "AccessDeniedException" {
		t.Errorf("Decrypt after the wipe: %v, want AccessDeniedException", err)
	}
}
