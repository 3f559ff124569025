package crypt

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"

	"github.com/medusa-go/medusa/internal/storage"
)

// KMSAPI is the part of the AWS KMS client medusa uses.
type KMSAPI interface {
	GenerateDataKey(ctx context.Context, in *kms.GenerateDataKeyInput, optFns ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error)
	Decrypt(ctx context.Context, in *kms.DecryptInput, optFns ...func(*kms.Options)) (*kms.DecryptOutput, error)
}

// kmsKeyDir holds, under the prefix, one object per KMS data key: the key
// encrypted by KMS (its ciphertext blob). Python Medusa reads only
// index/backup_index/ and ignores it.
const kmsKeyDir = "index/medusa_kms_keys/"

// kmsIDPrefix starts the key id of every master key that is a KMS data
// key; the rest is the start of the SHA-256 of its ciphertext blob.
const kmsIDPrefix = "kms-"

// IsKMSKeyID reports whether a key id names a KMS data key.
func IsKMSKeyID(id string) bool { return strings.HasPrefix(id, kmsIDPrefix) }

// KMSKeyObject returns the key of the object that holds the KMS data key
// id, under prefix ("" or ending in '/').
func KMSKeyObject(prefix, id string) string { return prefix + kmsKeyDir + id + ".json" }

// kmsKeyFile is the content of a KMS key object.
type kmsKeyFile struct {
	// KMSKeyID is the KMS key that encrypted the data key (its ARN, as
	// GenerateDataKey reports it).
	KMSKeyID string `json:"kms_key_id"`
	// CiphertextBlob is the data key encrypted by KMS (base64 in JSON).
	CiphertextBlob []byte    `json:"ciphertext_blob"`
	Created        time.Time `json:"created"`
}

// kmsContext is the encryption context of every data key: KMS binds it
// to the ciphertext, and CloudTrail shows it.
var kmsContext = map[string]string{"medusa": "backup master key"}

func kmsKeyID(blob []byte) string {
	sum := sha256.Sum256(blob)
	return kmsIDPrefix + hex.EncodeToString(sum[:8])
}

// KMSKeys are master keys that are data keys of an AWS KMS key
// ([storage] encryption_kms_key_id): the first object a process encrypts
// asks KMS for a new data key (GenerateDataKey) and stores it, encrypted
// by KMS, in the bucket before any object is sealed with it; reading an
// object sealed with a data key fetches that key object and asks KMS to
// decrypt it (Decrypt), once per process. Plaintext keys stay in memory.
type KMSKeys struct {
	api    KMSAPI
	keyID  string
	store  storage.Backend
	prefix string

	mu      sync.Mutex
	current string
	keys    map[string][]byte
}

// NewKMSKeys returns the keys of the KMS key keyID (id, ARN or alias).
// store is the plain storage stack the key objects are kept in, under
// prefix ("" or ending in '/').
func NewKMSKeys(api KMSAPI, keyID string, store storage.Backend, prefix string) *KMSKeys {
	return &KMSKeys{api: api, keyID: keyID, store: store, prefix: prefix, keys: map[string][]byte{}}
}

// Current returns the key id and master key that new objects are sealed
// with, asking KMS for it on the first call.
func (k *KMSKeys) Current(ctx context.Context) (string, []byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.current != "" {
		return k.current, k.keys[k.current], nil
	}
	out, err := k.api.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: aws.String(k.keyID),
		KeySpec: types.DataKeySpecAes256, EncryptionContext: kmsContext})
	if err != nil {
		return "", nil, fmt.Errorf("AWS KMS GenerateDataKey with key %s ([storage] encryption_kms_key_id): %w (%s)", k.keyID, err, kmsAdvice(err, "kms:GenerateDataKey"))
	}
	if len(out.Plaintext) != KeySize || len(out.CiphertextBlob) == 0 {
		return "", nil, fmt.Errorf("AWS KMS GenerateDataKey with key %s returned a %d-byte key, want %d", k.keyID, len(out.Plaintext), KeySize)
	}
	id := kmsKeyID(out.CiphertextBlob)
	body, err := json.Marshal(kmsKeyFile{KMSKeyID: cmp.Or(aws.ToString(out.KeyId), k.keyID), CiphertextBlob: out.CiphertextBlob,
		Created: time.Now().UTC()})
	if err != nil {
		return "", nil, err
	}
	obj := KMSKeyObject(k.prefix, id)
	if _, err := k.store.Put(ctx, obj, bytes.NewReader(body)); err != nil {
		return "", nil, fmt.Errorf("store the KMS data key %s: %w", obj, err)
	}
	k.current, k.keys[id] = id, out.Plaintext
	return id, out.Plaintext, nil
}

// Key returns the master key of id, a KMS data key: its key object is
// read and decrypted by KMS (once per process).
func (k *KMSKeys) Key(ctx context.Context, id string) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if key, ok := k.keys[id]; ok {
		return key, nil
	}
	obj := KMSKeyObject(k.prefix, id)
	data, err := storage.ReadAll(ctx, k.store, obj)
	if errors.Is(err, storage.ErrNotExist) {
		return nil, fmt.Errorf("its key id %q names the KMS data key %s, which is missing: restore that object from a copy of the bucket (without it the object cannot be decrypted)", id, obj)
	}
	if err != nil {
		return nil, fmt.Errorf("read the KMS data key %s: %w", obj, err)
	}
	var f kmsKeyFile
	if err := json.Unmarshal(data, &f); err != nil || kmsKeyID(f.CiphertextBlob) != id {
		return nil, fmt.Errorf("the KMS data key %s is damaged (its content does not match key id %q): %w", obj, id, ErrAuth)
	}
	// No KeyId: KMS finds the key in the blob, so data keys of an earlier
	// encryption_kms_key_id still decrypt.
	out, err := k.api.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: f.CiphertextBlob, EncryptionContext: kmsContext})
	if err != nil {
		return nil, fmt.Errorf("AWS KMS Decrypt of the data key %s (KMS key %s): %w (%s)", obj, f.KMSKeyID, err, kmsAdvice(err, "kms:Decrypt"))
	}
	if len(out.Plaintext) != KeySize {
		return nil, fmt.Errorf("AWS KMS Decrypt of %s returned a %d-byte key, want %d", obj, len(out.Plaintext), KeySize)
	}
	k.keys[id] = out.Plaintext
	return out.Plaintext, nil
}

// KMSAdvice says what to do about a KMS error whose AWS error code tells
// the key's state: disabled, pending deletion, or not found. It is ""
// for any other error.
func KMSAdvice(err error) string {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return ""
	}
	switch ae.ErrorCode() {
	case "DisabledException":
		return "the KMS key is disabled: enable it (aws kms enable-key --key-id <key>); until then no backup sealed with its data keys can be read or made"
	case "KMSInvalidStateException":
		return "the KMS key is not usable in its state, e.g. pending deletion: cancel the deletion and enable it (aws kms cancel-key-deletion, then enable-key); once it is deleted the backups sealed with its data keys cannot be decrypted by anyone"
	case "NotFoundException":
		return "no such KMS key or alias in this account and region: check [storage] encryption_kms_key_id, region and encryption_kms_endpoint"
	}
	return ""
}

// kmsAdvice is KMSAdvice, else the permission the request needs.
func kmsAdvice(err error, perm string) string {
	if a := KMSAdvice(err); a != "" {
		return a
	}
	return "the identity medusa runs as needs " + perm + " on the key, and the key must exist"
}

// String never shows keys.
func (k *KMSKeys) String() string { return "AWS KMS key " + k.keyID }

// ProbeKMS checks, without writing anything, that the identity may use
// the KMS key keyID: one GenerateDataKey (kms:GenerateDataKey; the key is
// thrown away) and, when the prefix holds KMS data keys, the Decrypt of
// one of them (kms:Decrypt). It returns what it found, in words.
func ProbeKMS(ctx context.Context, api KMSAPI, keyID string, store storage.Backend, prefix string) (string, error) {
	out, err := api.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: aws.String(keyID),
		KeySpec: types.DataKeySpecAes256, EncryptionContext: kmsContext})
	if err != nil {
		return "", fmt.Errorf("GenerateDataKey with key %s: %w", keyID, err)
	}
	detail := fmt.Sprintf("KMS key %s gives data keys (kms:GenerateDataKey)", cmp.Or(aws.ToString(out.KeyId), keyID))
	n := 0
	var last string
	for o, err := range store.List(ctx, prefix+kmsKeyDir) {
		if err != nil {
			return detail, fmt.Errorf("list %s: %w", prefix+kmsKeyDir, err)
		}
		n++
		last = strings.TrimSuffix(strings.TrimPrefix(o.Key, prefix+kmsKeyDir), ".json")
	}
	if n == 0 {
		return detail + "; no data key stored yet", nil
	}
	k := NewKMSKeys(api, keyID, store, prefix)
	if _, err := k.Key(ctx, last); err != nil {
		return detail, err
	}
	return fmt.Sprintf("%s; %d data keys stored, %s decrypts (kms:Decrypt)", detail, n, last), nil
}
