package check

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/medusa-go/medusa/internal/crypt"
	"github.com/medusa-go/medusa/internal/storage"
)

// Encryption checks client-side encryption (docs/encryption.md): the key
// ring file of [storage] encryption_key_file and the prefix's encryption
// marker against the configuration. It works on every store.
type Encryption struct {
	// KeyRingFile is [storage] encryption_key_file ("" : not set).
	KeyRingFile string
	// KMSKeyID is [storage] encryption_kms_key_id ("" : not set); KMS is
	// its client (nil: the KMS client could not be made, KMSErr says why).
	KMSKeyID string
	KMS      crypt.KMSAPI
	KMSErr   error
	// EncryptMetadata is [storage] encrypt_metadata.
	EncryptMetadata bool
	// Backend is the plain storage stack (no encryption decorator); nil
	// when storage could not be opened (the marker check is skipped).
	Backend storage.Backend
	// Prefix is the key prefix of the backups: "" or ending in '/'.
	Prefix string
}

// Checks returns the encryption checks: encryption/key-ring,
// encryption/kms (with encryption_kms_key_id) and encryption/marker.
func (e *Encryption) Checks() []Check {
	cs := []Check{{Name: "encryption/key-ring", Run: e.checkRing}}
	if e.KMSKeyID != "" {
		cs = append(cs, Check{Name: "encryption/kms", Run: e.checkKMS})
	}
	return append(cs, Check{Name: "encryption/marker", Run: e.checkMarker})
}

func (e *Encryption) checkKMS(ctx context.Context) Result {
	const fix = "grant kms:GenerateDataKey and kms:Decrypt on the key to the identity medusa runs as (docs/encryption.md), and check encryption_kms_key_id, region and encryption_kms_endpoint"
	if e.KMS == nil {
		return fail(fix, "[storage] encryption_kms_key_id %s: no KMS client: %v", e.KMSKeyID, e.KMSErr)
	}
	if e.Backend == nil {
		return skip("storage could not be opened (see storage/open)")
	}
	detail, err := crypt.ProbeKMS(ctx, e.KMS, e.KMSKeyID, e.Backend, e.Prefix)
	if err != nil {
		fix := fix
		if a := crypt.KMSAdvice(err); a != "" {
			fix = a
		}
		if detail != "" {
			return fail(fix, "%s; but %v", detail, err)
		}
		return fail(fix, "%v", err)
	}
	return ok("%s", detail)
}

const ringFix = "create it with one line \"<key id> = <base64 of 32 random bytes>\" (umask 077; openssl rand -base64 32), mode 600"

func (e *Encryption) checkRing(context.Context) Result {
	if e.KeyRingFile == "" && e.KMSKeyID != "" {
		return skip("[storage] sets no encryption_key_file: the master keys are data keys of KMS key %s", e.KMSKeyID)
	}
	if e.KeyRingFile == "" {
		return skip("[storage] sets no encryption_key_file: backups are not encrypted by medusa")
	}
	mode := fileMode(e.KeyRingFile, "encryption_key_file", "key ring file")
	if mode.Status == FAIL {
		if strings.Contains(mode.Detail, "no such file") {
			mode.Fix = ringFix
		}
		return mode
	}
	p, err := storage.ExpandHome(e.KeyRingFile)
	if err != nil {
		return fail("give encryption_key_file as an absolute path", "%v", err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return fail("make the key ring readable by the user running medusa", "encryption_key_file %s: %v", p, err)
	}
	// ParseRing's errors name the file, the line and the key id, never a
	// key: they may be shown.
	ring, err := crypt.ParseRing(p, data)
	if err != nil {
		return fail("fix the key ring file as the message says (see docs/encryption.md)", "%v", err)
	}
	ids := ring.IDs()
	detail := fmt.Sprintf("key ring %s: %d key(s) (%s), current %q encrypts new backups; %s",
		p, len(ids), strings.Join(ids, ", "), ring.Current, mode.Detail)
	if mode.Status == WARN {
		return warn(mode.Fix, "%s", detail)
	}
	return ok("%s", detail)
}

func (e *Encryption) checkMarker(ctx context.Context) Result {
	if e.Backend == nil {
		return skip("storage could not be opened (see storage/open)")
	}
	key := crypt.MarkerKey(e.Prefix)
	m, err := crypt.ReadMarker(ctx, e.Backend, e.Prefix)
	mode := m.Mode
	ring := e.KeyRingFile != "" || e.KMSKeyID != ""
	switch {
	case errors.Is(err, storage.ErrNotExist):
	case errors.Is(err, storage.ErrAccessDenied):
		return warn("grant read access to "+key+" (s3:GetObject on the prefix)", "cannot read the encryption marker: %v", err)
	case errors.Is(err, crypt.ErrMarkerDamaged):
		return fail("restore "+key+" from a copy, or delete it if the prefix holds plain backups only", "%v", err)
	case err != nil:
		return warn("run medusa check again", "read encryption marker %s: %v", key, err)
	case m.Migrating:
		return fail("run medusa encrypt-backups with the key ring to finish it", "%v", crypt.MigratingError(e.Prefix))
	case mode != crypt.ModeClientSide:
		return fail("use a medusa that knows this mode, or a new prefix",
			"encryption marker %s records mode %q, which this medusa does not know", key, mode)
	case ring && m.Metadata != e.EncryptMetadata:
		if m.Metadata {
			return fail("set [storage] encrypt_metadata = true",
				"the manifests and token maps under prefix %q are encrypted too (marker %s) but [storage] sets no encrypt_metadata: every command will refuse the prefix", e.Prefix, key)
		}
		return fail("remove encrypt_metadata from [storage], or use a new prefix (or bucket) for backups with encrypted metadata",
			"the backups under prefix %q keep their manifests and token maps plain (marker %s) but [storage] sets encrypt_metadata: every command will refuse the prefix", e.Prefix, key)
	case ring && m.Metadata:
		return ok("prefix %q is marked client-side encrypted, manifests and token maps included (%s), as [storage] says", e.Prefix, key)
	case ring:
		return ok("prefix %q is marked client-side encrypted (%s), as [storage] says", e.Prefix, key)
	default:
		return fail("set [storage] encryption_key_file to the key ring that holds the backups' keys (or encryption_kms_key_id when they were encrypted with KMS)",
			"the backups under prefix %q are client-side encrypted (marker %s) but [storage] sets neither encryption_key_file nor encryption_kms_key_id: backup, restore and download are refused", e.Prefix, key)
	}
	// No marker.
	if !ring {
		return ok("prefix %q holds no client-side encrypted backups (no %s); [storage] sets no client-side encryption", e.Prefix, key)
	}
	for o, err := range e.Backend.List(ctx, e.Prefix+"index/backup_index/") {
		if err != nil {
			return warn("run medusa check again", "list the backups of prefix %q: %v", e.Prefix, err)
		}
		return fail("use a new [storage] prefix (or bucket) for encrypted backups, encrypt the plain ones (medusa encrypt-backups), or remove encryption_key_file / encryption_kms_key_id to keep backing up in clear",
			"prefix %q holds plain backups (e.g. %s) and client-side encryption is set: every command will refuse to mix encrypted and plain backups", e.Prefix, o.Key)
	}
	return ok("prefix %q holds no backup yet: the first backup marks it encrypted (%s)", e.Prefix, key)
}
