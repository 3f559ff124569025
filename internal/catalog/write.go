package catalog

import (
	"bytes"
	"context"
	"fmt"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
)

// putBytes uploads data under key.
func putBytes(ctx context.Context, b storage.Backend, key string, data []byte) error {
	if _, err := b.Put(ctx, key, bytes.NewReader(data)); err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	return nil
}

// EpochOf returns the LastModified of key as integer Unix seconds (what
// Medusa writes into started_/finished_ index entry names). It fails with
// an error wrapping storage.ErrNotExist when key is missing.
func EpochOf(ctx context.Context, b storage.Backend, key string) (int64, error) {
	info, err := b.Stat(ctx, key)
	if err != nil {
		return 0, fmt.Errorf("read modification time of %s: %w", key, err)
	}
	return info.ModTime.Unix(), nil
}

// WriteStarted writes the index entries of a node backup that started
// (before the snapshot), in Medusa's order:
//
//	P index/backup_index/<backup>/tokenmap_<fqdn>.json   = tokenmap
//	P index/backup_index/<backup>/schema_<fqdn>.cql      = schema
//	P index/backup_index/<backup>/started_<fqdn>_<started>.timestamp = started
//	P index/backup_index/<backup>/differential_<fqdn>    = "differential" (only if differential)
//
// prefix is the [storage] prefix ("" for none). tokenmap and schema are the
// bytes written to meta/tokenmap.json and meta/schema.cql; started must be
// EpochOf(meta/schema.cql) (Layout.SchemaKey), read after that object was
// written. The node backup is visible in the index from the first write on
// (the tokenmap_ entry), as in Medusa.
func WriteStarted(ctx context.Context, b storage.Backend, prefix, backup, fqdn string,
	tokenmap, schema []byte, differential bool, started int64) error {
	l := layout.New(prefix)
	if err := validNames(backup, fqdn); err != nil {
		return err
	}
	writes := []struct {
		key  string
		data []byte
	}{
		{l.IndexTokenmapKey(backup, fqdn), tokenmap},
		{l.IndexSchemaKey(backup, fqdn), schema},
		{l.IndexStartedKey(backup, fqdn, started), layout.TimestampContent(started)},
	}
	if differential {
		writes = append(writes, struct {
			key  string
			data []byte
		}{l.IndexDifferentialKey(backup, fqdn), []byte(layout.DifferentialMarker)})
	}
	for _, w := range writes {
		if err := putBytes(ctx, b, w.key, w.data); err != nil {
			return fmt.Errorf("index start of backup %s of %s: %w", backup, fqdn, err)
		}
	}
	return nil
}

// WriteFinished writes the index entries of a node backup that finished
// (last), after meta/manifest.json was written:
//
//	P index/backup_index/<backup>/manifest_<fqdn>.json = manifest
//	P index/backup_index/<backup>/finished_<fqdn>_<finished>.timestamp = finished
//
// manifest is the bytes of meta/manifest.json; finished must be
// EpochOf(meta/manifest.json) (Layout.ManifestKey). The finished_ entry is
// written last: it is what makes the node backup finished in the index.
func WriteFinished(ctx context.Context, b storage.Backend, prefix, backup, fqdn string,
	manifest []byte, finished int64) error {
	l := layout.New(prefix)
	if err := validNames(backup, fqdn); err != nil {
		return err
	}
	if err := putBytes(ctx, b, l.IndexManifestKey(backup, fqdn), manifest); err != nil {
		return fmt.Errorf("index finish of backup %s of %s: %w", backup, fqdn, err)
	}
	key := l.IndexFinishedKey(backup, fqdn, finished)
	if err := putBytes(ctx, b, key, layout.TimestampContent(finished)); err != nil {
		return fmt.Errorf("index finish of backup %s of %s: %w", backup, fqdn, err)
	}
	return nil
}

// WriteLatest records backup as the latest finished backup of fqdn
// (after WriteFinished):
//
//	P index/latest_backup/<fqdn>/tokenmap.json   = tokenmap
//	P index/latest_backup/<fqdn>/backup_name.txt = backup (no newline)
func WriteLatest(ctx context.Context, b storage.Backend, prefix, fqdn, backup string, tokenmap []byte) error {
	l := layout.New(prefix)
	if err := validNames(backup, fqdn); err != nil {
		return err
	}
	if err := putBytes(ctx, b, l.LatestTokenmapKey(fqdn), tokenmap); err != nil {
		return fmt.Errorf("latest backup marker of %s: %w", fqdn, err)
	}
	if err := putBytes(ctx, b, l.LatestBackupNameKey(fqdn), layout.BackupNameContent(backup)); err != nil {
		return fmt.Errorf("latest backup marker of %s: %w", fqdn, err)
	}
	return nil
}

// validNames refuses backup names and fqdns the index cannot carry.
func validNames(backup, fqdn string) error {
	if err := layout.ValidateBackupName(backup); err != nil {
		return err
	}
	return layout.ValidateFQDN(fqdn)
}
