package testbed

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

// KMS is an in-process fake of AWS KMS, on 127.0.0.1, speaking the AWS
// JSON 1.1 protocol of the real SDK client for GenerateDataKey and Decrypt
// of symmetric keys: data keys are random, their ciphertext blob is the
// key's ARN and the data key sealed with AES-256-GCM under the key's own
// secret, the encryption context as additional data (so a changed blob
// or context fails as on AWS). Requests are not authenticated. It
// serves the short tests (internal/crypt, internal/check), which need
// what a real server here cannot give: refusals for lack of a permission
// (Deny: AccessDeniedException) and call counts. The real-server tests
// run against moto's KMS (MotoKMST), which checks no permission.
type KMS struct {
	URL    string // endpoint (http://127.0.0.1:port)
	Region string
	KeyARN string // the one key; its id and alias/medusa name it too

	srv *httptest.Server
	mu  sync.Mutex
	// secrets by ARN; calls by operation; deny refuses operations;
	// state is the key's state ("" is Enabled).
	secrets map[string][]byte
	calls   map[string]int
	deny    map[string]bool
	state   string
}

// KMST starts the fake KMS for t and stops it when t ends. It needs no
// external server and runs under -short too.
func KMST(t testing.TB) *KMS {
	t.Helper()
	k := &KMS{Region: S3Region, secrets: map[string][]byte{}, calls: map[string]int{}, deny: map[string]bool{}}
	k.KeyARN = "arn:aws:kms:" + k.Region + ":111122223333:key/7f1a6d0e-medusa-test-key"
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	k.secrets[k.KeyARN] = secret
	k.srv = httptest.NewServer(http.HandlerFunc(k.serve))
	k.URL = k.srv.URL
	t.Cleanup(k.srv.Close)
	return k
}

// Calls returns how many times op ("GenerateDataKey", "Decrypt") was
// called.
func (k *KMS) Calls(op string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.calls[op]
}

// Deny makes op answer AccessDeniedException (on: true) or work again.
func (k *KMS) Deny(op string, on bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.deny[op] = on
}

// SetState sets the key's state as AWS names it: "Disabled" makes every
// use answer DisabledException, "PendingDeletion"
// KMSInvalidStateException, as AWS KMS does; "Enabled" (or "") serves
// again.
func (k *KMS) SetState(state string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.state = state
}

type kmsRequest struct {
	KeyID             string            `json:"KeyId"`
	KeySpec           string            `json:"KeySpec"`
	NumberOfBytes     int               `json:"NumberOfBytes"`
	CiphertextBlob    []byte            `json:"CiphertextBlob"`
	EncryptionContext map[string]string `json:"EncryptionContext"`
}

func (k *KMS) serve(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "TrentService.")
	var in kmsRequest
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		kmsError(w, "SerializationException", err.Error())
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls[op]++
	if k.deny[op] {
		kmsError(w, "AccessDeniedException", fmt.Sprintf("User: arn:aws:iam::111122223333:user/medusa is not authorized to perform: kms:%s on resource: %s", op, k.KeyARN))
		return
	}
	switch k.state {
	case "Disabled":
		kmsError(w, "DisabledException", k.KeyARN+" is disabled.")
		return
	case "PendingDeletion":
		kmsError(w, "KMSInvalidStateException", k.KeyARN+" is pending deletion.")
		return
	}
	aad := contextAAD(in.EncryptionContext)
	switch op {
	case "GenerateDataKey":
		arn := k.resolve(in.KeyID)
		if arn == "" {
			kmsError(w, "NotFoundException", "Key '"+in.KeyID+"' does not exist")
			return
		}
		n := in.NumberOfBytes
		if in.KeySpec == "AES_256" {
			n = 32
		}
		plain := make([]byte, n)
		nonce := make([]byte, 12)
		_, _ = rand.Read(plain)
		_, _ = rand.Read(nonce)
		blob := append([]byte{byte(len(arn))}, arn...)
		blob = append(blob, nonce...)
		blob = gcm(k.secrets[arn]).Seal(blob, nonce, plain, aad)
		kmsReply(w, map[string]any{"KeyId": arn, "Plaintext": plain, "CiphertextBlob": blob})
	case "Decrypt":
		b := in.CiphertextBlob
		if len(b) < 1 || len(b) < 1+int(b[0])+12 {
			kmsError(w, "InvalidCiphertextException", "")
			return
		}
		arn := string(b[1 : 1+int(b[0])])
		secret, ok := k.secrets[arn]
		if !ok {
			kmsError(w, "InvalidCiphertextException", "")
			return
		}
		rest := b[1+int(b[0]):]
		plain, err := gcm(secret).Open(nil, rest[:12], rest[12:], aad)
		if err != nil {
			kmsError(w, "InvalidCiphertextException", "")
			return
		}
		kmsReply(w, map[string]any{"KeyId": arn, "Plaintext": plain, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"})
	default:
		kmsError(w, "UnsupportedOperationException", op+" is not implemented by the test KMS")
	}
}

// resolve returns the ARN of a key id, ARN or alias ("alias/medusa").
func (k *KMS) resolve(id string) string {
	for arn := range k.secrets {
		if id == arn || id == arn[strings.LastIndex(arn, "/")+1:] || id == "alias/medusa" {
			return arn
		}
	}
	return ""
}

func contextAAD(c map[string]string) []byte {
	var b []byte
	for _, key := range slices.Sorted(maps.Keys(c)) {
		b = append(b, key+"="+c[key]+"\n"...)
	}
	return b
}

func gcm(key []byte) cipher.AEAD {
	b, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		panic(err)
	}
	return a
}

func kmsReply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(v)
}

func kmsError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
