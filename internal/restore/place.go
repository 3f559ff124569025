package restore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/medusa-go/medusa/internal/cassandra"
)

// carried are the sub-directories of a replaced table directory that hold
// the node's own snapshots and incremental backups: they are moved into
// the restored directory rather than removed with the old files.
var carried = []string{"snapshots", "backups"}

// place moves each downloaded table directory into the data directory
// (a rename on the same file system), gives it to the data directory's
// owner, carries over the snapshots and backups of the directory it
// replaces, and for a remote restore writes the backed-up tokens into
// cassandra.yaml.
func (r *run) place(ctx context.Context) error {
	dataAside := r.asides[r.o.Node.DataDir]
	if err := r.j.intend(r.placeEntries(dataAside)...); err != nil {
		return err
	}
	placed := 0
	for _, t := range r.p.restoring() {
		if len(t.Files) == 0 {
			continue // Medusa leaves no directory for a table without files
		}
		ksDir := filepath.Dir(t.Dest)
		if !exists(ksDir) {
			if err := r.d.FS.MkdirAll(ctx, ksDir); err != nil {
				return err
			}
			if err := r.d.FS.Chown(ctx, ksDir, r.uid, r.gid); err != nil {
				return err
			}
		}
		src := filepath.Join(r.staging, t.Keyspace, t.Dir)
		if err := r.d.FS.Rename(ctx, src, t.Dest); err != nil {
			return fmt.Errorf("move %s into place: %w", t.Name(), err)
		}
		if err := r.d.FS.Chown(ctx, t.Dest, r.uid, r.gid); err != nil {
			return err
		}
		if t.Exists {
			if err := r.carry(ctx, t, filepath.Join(dataAside, t.Keyspace, t.Dir)); err != nil {
				return err
			}
		}
		placed++
	}
	r.d.Logger.Info(fmt.Sprintf("Placed %d table directories (%d files) into %s", placed, r.p.Files, r.o.Node.DataDir))
	if !r.o.InPlace {
		return r.setTokens(ctx)
	}
	return nil
}

// carry moves snapshots/ and backups/ of the replaced directory (aside)
// into the restored one.
func (r *run) carry(ctx context.Context, t Table, old string) error {
	for _, sub := range carried {
		from, to := filepath.Join(old, sub), filepath.Join(t.Dest, sub)
		if !exists(from) {
			continue
		}
		if exists(to) {
			return fmt.Errorf("%s: the backup has a %s directory, the node's own cannot be kept", t.Name(), sub)
		}
		if err := r.d.FS.Rename(ctx, from, to); err != nil {
			return fmt.Errorf("keep %s of %s: %w", sub, t.Name(), err)
		}
	}
	return nil
}

// setTokens writes initial_token, num_tokens and auto_bootstrap: false
// into cassandra.yaml (remote restores). The previous content is kept
// beside the journal until the restore succeeded.
func (r *run) setTokens(ctx context.Context) error {
	path := r.o.Node.ConfigFile
	orig, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	updated, err := cassandra.SetTokens(orig, r.p.Tokens)
	if err != nil {
		return err
	}
	saved := filepath.Join(filepath.Dir(r.j.Path), savedConfigName)
	if err := writeDurably(saved, orig); err != nil {
		return err
	}
	if err := r.j.intend(entry{Kind: entryFile, From: saved, To: path}); err != nil {
		return err
	}
	if err := r.d.FS.WriteFile(ctx, path, updated); err != nil {
		return fmt.Errorf("write tokens into %s: %w", path, err)
	}
	r.d.Logger.Info(fmt.Sprintf("Set %d tokens of %s in %s (initial_token, num_tokens, auto_bootstrap: false)",
		len(r.p.Tokens), r.p.FQDN, path))
	return nil
}
