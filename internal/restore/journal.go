package restore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// entryKind is one kind of change recorded in the journal; each has its
// own way to be undone.
type entryKind string

const (
	// entryAside: From (the node's) was moved to To (aside). Undo: what is
	// at From now goes to the rejected area, To goes back to From.
	entryAside entryKind = "aside"
	// entryPlace: From (downloaded) was moved to To (in the data dir).
	// Undo: To goes to the rejected area.
	entryPlace entryKind = "place"
	// entryCarry: From (snapshots/ or backups/ of a replaced table dir,
	// aside) was moved into the new table dir at To. Undo: To back to From.
	entryCarry entryKind = "carry"
	// entryClear: the contents of directory From were moved aside (the
	// entryAside entries before it). Undo: whatever From holds now, but
	// the aside root, goes to the rejected area.
	entryClear entryKind = "clear"
	// entrySweep: the data directory From held the keyspace and table
	// directories Keep. Undo: any other one goes to the rejected area.
	entrySweep entryKind = "sweep"
	// entryFile: file To was rewritten; From holds its previous content.
	// Undo: the previous content is written back.
	entryFile entryKind = "file"
)

// entry is one recorded change.
type entry struct {
	Kind entryKind `json:"kind"`
	From string    `json:"from"`
	To   string    `json:"to"`
	// Aside is the aside root of the directory concerned: things found in
	// the way during a rollback go to <Aside>/rejected/.
	Aside  string   `json:"aside,omitempty"`
	Keep   []string `json:"keep,omitempty"`
	Undone bool     `json:"undone,omitempty"`
}

// journal records every change a restore makes to the node, in order,
// and is rewritten to Path after each change, so that an operator can
// see what was moved where even if medusa itself is killed.
type journal struct {
	Path    string    `json:"-"`
	Backup  string    `json:"backup"`
	Started time.Time `json:"started"`
	Entries []entry   `json:"entries"`
	// Rejected counts the paths moved to rejected areas (unique names).
	Rejected int `json:"rejected"`
}

func (j *journal) add(e entry) error {
	j.Entries = append(j.Entries, e)
	return j.save()
}

func (j *journal) save() error {
	data, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	tmp := j.Path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("write restore journal: %w", err)
	}
	return os.Rename(tmp, j.Path)
}

// undo reverses every entry not undone yet, last first, stopping at the
// first failure.
func (j *journal) undo(ctx context.Context, fs FS) error {
	for i := len(j.Entries) - 1; i >= 0; i-- {
		e := &j.Entries[i]
		if e.Undone {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := j.undoOne(ctx, fs, *e); err != nil {
			return fmt.Errorf("undo %s %s -> %s: %w", e.Kind, e.From, e.To, err)
		}
		e.Undone = true
		if err := j.save(); err != nil {
			return err
		}
	}
	return nil
}

func (j *journal) undoOne(ctx context.Context, fs FS, e entry) error {
	switch e.Kind {
	case entryAside:
		if err := j.reject(ctx, fs, e.Aside, e.From); err != nil {
			return err
		}
		return fs.Rename(ctx, e.To, e.From)
	case entryPlace:
		return j.reject(ctx, fs, e.Aside, e.To)
	case entryCarry:
		if !exists(e.To) {
			return nil
		}
		return fs.Rename(ctx, e.To, e.From)
	case entryClear:
		names, err := children(e.From, e.Aside)
		if err != nil {
			return err
		}
		for _, n := range names {
			if err := j.reject(ctx, fs, e.Aside, filepath.Join(e.From, n)); err != nil {
				return err
			}
		}
		return nil
	case entrySweep:
		return j.sweep(ctx, fs, e)
	case entryFile:
		data, err := os.ReadFile(e.From)
		if err != nil {
			return err
		}
		if cur, err := os.ReadFile(e.To); err == nil && bytes.Equal(cur, data) {
			return nil // never rewritten
		}
		return fs.WriteFile(ctx, e.To, data)
	}
	return fmt.Errorf("unknown journal entry %q", e.Kind)
}

// sweep rejects the keyspace and table directories of the data directory
// that were not there before the restore.
func (j *journal) sweep(ctx context.Context, fs FS, e entry) error {
	keep := make(map[string]bool, len(e.Keep))
	for _, k := range e.Keep {
		keep[k] = true
	}
	keyspaces, err := children(e.From, e.Aside)
	if err != nil {
		return err
	}
	for _, ks := range keyspaces {
		if !keep[ks] {
			if err := j.reject(ctx, fs, e.Aside, filepath.Join(e.From, ks)); err != nil {
				return err
			}
			continue
		}
		tables, err := children(filepath.Join(e.From, ks), "")
		if err != nil {
			return err
		}
		for _, t := range tables {
			if !keep[ks+"/"+t] {
				if err := j.reject(ctx, fs, e.Aside, filepath.Join(e.From, ks, t)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// reject moves path, if it exists, into <aside>/rejected/<n>-<name>.
func (j *journal) reject(ctx context.Context, fs FS, aside, path string) error {
	if !exists(path) {
		return nil
	}
	dir := filepath.Join(aside, "rejected")
	if err := fs.MkdirAll(ctx, dir); err != nil {
		return err
	}
	j.Rejected++
	return fs.Rename(ctx, path, filepath.Join(dir, strconv.Itoa(j.Rejected)+"-"+filepath.Base(path)))
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// children lists the entries of dir (sorted), leaving out skip (an aside
// root); a missing dir has none.
func children(dir, skip string) ([]string, error) {
	es, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range es {
		if skip != "" && filepath.Join(dir, e.Name()) == filepath.Clean(skip) {
			continue
		}
		out = append(out, e.Name())
	}
	return out, nil
}
