package crypt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/medusa-go/medusa/internal/storage"
)

// MarkerName is the object, under <prefix>index/, that records that the
// backups of a prefix are encrypted. Python Medusa reads only
// index/backup_index/, so it ignores it.
const MarkerName = "medusa_encryption.json"

// MarkerKey returns the marker's key under prefix ("" or ending in '/').
func MarkerKey(prefix string) string { return prefix + "index/" + MarkerName }

type marker struct {
	Mode   string `json:"mode"`
	Format int    `json:"format"`
	// Metadata: manifests and token maps are encrypted too ([storage]
	// encrypt_metadata); absent (false) in markers written before it.
	Metadata bool `json:"metadata,omitempty"`
	// Migration is "in-progress" while medusa encrypt-backups turns the
	// prefix's plain backups into encrypted ones (absent otherwise).
	Migration string `json:"migration,omitempty"`
}

// migrationInProgress is the marker's "migration" while encrypt-backups
// runs or after it was interrupted.
const migrationInProgress = "in-progress"

// Marker is what a prefix's encryption marker records.
type Marker struct {
	Mode     string
	Metadata bool
	// Migrating: medusa encrypt-backups has started on the prefix and not
	// finished (it runs, or was interrupted and must be run again).
	Migrating bool
}

const modeClientSide = "client-side"

// ModeClientSide is the mode the marker records for client-side
// encrypted backups.
const ModeClientSide = modeClientSide

// ErrMarkerDamaged marks an encryption marker that does not decode.
var ErrMarkerDamaged = errors.New("damaged")

// ReadMarker reads prefix's encryption marker without writing anything:
// the mode it records, or "" and storage.ErrNotExist when there is none.
// b is the plain (undecorated) stack.
func ReadMarker(ctx context.Context, b storage.Backend, prefix string) (Marker, error) {
	key := MarkerKey(prefix)
	data, err := storage.ReadAll(ctx, b, key)
	if err != nil {
		return Marker{}, err
	}
	var m marker
	if err := json.Unmarshal(data, &m); err != nil || m.Mode == "" {
		if err == nil {
			err = errors.New("no mode")
		}
		return Marker{}, fmt.Errorf("encryption marker %s is %w (%v): restore it or delete it if the prefix holds plain backups only", key, ErrMarkerDamaged, err)
	}
	return Marker{Mode: m.Mode, Metadata: m.Metadata, Migrating: m.Migration != ""}, nil
}

// WriteMarker writes prefix's marker: client-side encryption, manifests
// and token maps plain, and with migrating an encrypt-backups run in
// progress (every other command refuses the prefix until a run finishes).
// b is the plain (undecorated) stack.
func WriteMarker(ctx context.Context, b storage.Backend, prefix string, migrating bool) error {
	m := marker{Mode: modeClientSide, Format: version}
	if migrating {
		m.Migration = migrationInProgress
	}
	body, _ := json.Marshal(m)
	if _, err := b.Put(ctx, MarkerKey(prefix), bytes.NewReader(body)); err != nil {
		return fmt.Errorf("write encryption marker %s: %w", MarkerKey(prefix), err)
	}
	return nil
}

// MigratingError is the refusal of a prefix whose marker records an
// unfinished encrypt-backups run.
func MigratingError(prefix string) error {
	return fmt.Errorf("the plain backups under prefix %q are being encrypted, or their encryption was interrupted (marker %s): "+
		"run medusa encrypt-backups with the key ring to finish it; until then other commands refuse the prefix", prefix, MarkerKey(prefix))
}

// CheckMode refuses to mix encrypted and plain backups under prefix (the
// key prefix: "" or ending in a slash).
// encrypt says whether this medusa encrypts ([storage]
// encryption_key_file set). With encryption, a prefix without the marker
// gets it, unless it already holds backups (plain ones). Without, a prefix
// whose marker says its backups are encrypted is refused. b is the plain
// (undecorated) stack.
func CheckMode(ctx context.Context, b storage.Backend, prefix string, encrypt bool) error {
	return CheckModeMetadata(ctx, b, prefix, encrypt, false)
}

// CheckModeMetadata is CheckMode for a medusa that encrypts the
// manifests and token maps too (metadata: [storage] encrypt_metadata),
// recorded in a new marker. A prefix whose marker records otherwise is
// refused: every medusa using a prefix must agree on which objects are
// encrypted.
func CheckModeMetadata(ctx context.Context, b storage.Backend, prefix string, encrypt, metadata bool) error {
	key := MarkerKey(prefix)
	data, err := storage.ReadAll(ctx, b, key)
	switch {
	case err == nil:
		var m marker
		if err := json.Unmarshal(data, &m); err != nil {
			return fmt.Errorf("encryption marker %s is damaged (%v): restore it or delete it if the prefix holds plain backups only", key, err)
		}
		if m.Migration != "" {
			return MigratingError(prefix)
		}
		if !encrypt && m.Mode == modeClientSide {
			return fmt.Errorf("the backups under prefix %q are encrypted (marker %s): set [storage] encryption_key_file to the key ring that holds their keys (or encryption_kms_key_id when they were encrypted with AWS KMS)", prefix, key)
		}
		if encrypt && m.Mode != modeClientSide {
			return fmt.Errorf("encryption marker %s records mode %q, not %q: this medusa cannot tell how the backups are stored", key, m.Mode, modeClientSide)
		}
		if encrypt && m.Metadata && !metadata {
			return fmt.Errorf("the manifests and token maps under prefix %q are encrypted too (marker %s): set [storage] encrypt_metadata = true", prefix, key)
		}
		if encrypt && !m.Metadata && metadata {
			return fmt.Errorf("the backups under prefix %q keep their manifests and token maps plain (marker %s): encrypt_metadata applies only to a new prefix; remove it from [storage], or use a new prefix (or bucket)", prefix, key)
		}
		return nil
	case !errors.Is(err, storage.ErrNotExist):
		return fmt.Errorf("check encryption marker: %w", err)
	case !encrypt:
		return nil
	}
	for o, err := range b.List(ctx, prefix+"index/backup_index/") {
		if err != nil {
			return fmt.Errorf("check encryption marker: list backups: %w", err)
		}
		return fmt.Errorf("prefix %q holds plain backups (e.g. %s) and [storage] encryption_key_file or encryption_kms_key_id is set: mixing encrypted and plain backups is refused; use a new [storage] prefix (or bucket) for encrypted backups, purge the plain ones first, or encrypt them with medusa encrypt-backups (docs/encryption.md)", prefix, o.Key)
	}
	body, _ := json.Marshal(marker{Mode: modeClientSide, Format: version, Metadata: metadata})
	if _, err := b.Put(ctx, key, bytes.NewReader(body)); err != nil {
		return fmt.Errorf("write encryption marker %s: %w", key, err)
	}
	return nil
}
