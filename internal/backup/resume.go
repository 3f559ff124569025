package backup

import (
	"context"
	"errors"
	"fmt"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
)

// Resuming an interrupted backup. A run that was killed or failed after
// writing meta/schema.cql but before meta/manifest.json left a backup that
// exists and never lists as complete. Running the same name again resumes
// it: the meta files are written again (schema and token map of now),
// the snapshot medusa-<name> is backed up if it is still there (else taken
// again), and the files the earlier run stored are reused by the ordinary
// rule (same size, stored after the file was written, same hash with MD5
// checks), so only the rest is uploaded. Then the manifest and the index
// are written as for any backup.

// resumable decides what to do with an existing backup whose
// meta/schema.cql is schema: refuse it when it is complete, or when it was
// started in the other mode; otherwise resume it.
func (r *run) resumable(ctx context.Context, schema storage.ObjectInfo) error {
	manifest := r.l.ManifestKey(r.o.FQDN, r.o.Name)
	_, err := r.d.Storage.Stat(ctx, manifest)
	switch {
	case err == nil:
		return fmt.Errorf("Backup %s already exists and is complete (%s): %w; choose another --backup-name, "+
			"or remove it first with `medusa delete-backup --backup-name %s`", r.o.Name, manifest,
			ErrAlreadyExists, r.o.Name)
	case !errors.Is(err, storage.ErrNotExist):
		return fmt.Errorf("check whether backup %s is complete: %w", r.o.Name, err)
	}
	mode, err := r.startedMode(ctx)
	if err != nil {
		return err
	}
	if mode != "" && mode != r.o.Mode {
		return fmt.Errorf("Backup %s already exists, unfinished, started in %s mode: %w; resume it with "+
			"--mode %s, or remove it first with `medusa delete-backup --backup-name %s`", r.o.Name, mode,
			ErrAlreadyExists, mode, r.o.Name)
	}
	r.resuming = true
	r.resumedStarted = schema.ModTime.Unix()
	r.d.Logger.Info(fmt.Sprintf("Resuming backup %s: an earlier run stopped before it finished; "+
		"files it already stored are not uploaded again", r.o.Name))
	return nil
}

// startedMode reads the mode of the existing backup: differential when
// meta/differential is stored, full when it is not but the meta file
// written before it (server_version.json) is, "" (unknown) when the run
// stopped before either.
func (r *run) startedMode(ctx context.Context) (Mode, error) {
	for _, m := range []struct {
		file string
		mode Mode
	}{{layout.DifferentialFile, Differential}, {layout.ServerVersionFile, Full}} {
		key := r.l.MetaKey(r.o.FQDN, r.o.Name, m.file)
		_, err := r.d.Storage.Stat(ctx, key)
		switch {
		case err == nil:
			return m.mode, nil
		case !errors.Is(err, storage.ErrNotExist):
			return "", fmt.Errorf("read the mode of backup %s: %w", r.o.Name, err)
		}
	}
	return "", nil
}

// dropStaleStarted removes the started_ index entry of the interrupted run
// once this run wrote its own (meta/schema.cql was written again, so its
// time changed): the index keeps one start per node backup.
func (r *run) dropStaleStarted(ctx context.Context, started int64) error {
	if !r.resuming || r.resumedStarted == started {
		return nil
	}
	key := r.l.IndexStartedKey(r.o.Name, r.o.FQDN, r.resumedStarted)
	if err := r.d.Storage.Delete(ctx, key); err != nil {
		return fmt.Errorf("remove the start of the interrupted run %s: %w", key, err)
	}
	return nil
}
