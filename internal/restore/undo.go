package restore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
)

// rejectedName is the directory, inside an aside root, where a rollback
// puts what the restore had placed (removed once the rollback succeeded).
// Keyspace names cannot start with a dot: no table moved aside collides.
const rejectedName = ".rejected"

// undo reverses every entry not undone yet, last first, stopping at the
// first failure. Each undone entry is recorded (and fsynced) before the
// next one is undone: undoing an entry twice could otherwise reject what
// an earlier undo had put back.
func (j *journal) undo(ctx context.Context, fs FS) error {
	for i := len(j.Entries) - 1; i >= 0; i-- {
		e := &j.Entries[i]
		if e.Undone {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := undoOne(ctx, fs, *e); err != nil {
			return fmt.Errorf("undo %s %s -> %s: %w", e.Kind, e.From, e.To, err)
		}
		// The moves back must be durable before the record says they were
		// made: after a power loss, a record without its move would leave
		// the moved-aside files to be discarded.
		dirs := []string{filepath.Dir(e.From), filepath.Dir(e.To)}
		if e.Aside != "" {
			dirs = append(dirs, e.Aside, filepath.Join(e.Aside, rejectedName))
		}
		if err := syncDirs(dirs...); err != nil {
			return err
		}
		if err := j.append(record{Undone: &i}); err != nil {
			return err
		}
		e.Undone = true
	}
	return nil
}

// undoOne reverses one change, whether or not it was made.
func undoOne(ctx context.Context, fs FS, e entry) error {
	switch e.Kind {
	case entryAside:
		if !exists(e.To) {
			return nil // never moved (or already back)
		}
		if err := reject(ctx, fs, e.Aside, e.From); err != nil {
			return err
		}
		return fs.Rename(ctx, e.To, e.From)
	case entryPlace:
		return reject(ctx, fs, e.Aside, e.To)
	case entryCarry:
		if !exists(e.To) || exists(e.From) {
			return nil
		}
		return fs.Rename(ctx, e.To, e.From)
	case entryClear, entrySweep:
		return rejectNew(ctx, fs, e)
	case entryFile:
		data, err := os.ReadFile(e.From)
		if errors.Is(err, os.ErrNotExist) {
			return nil // the previous content was never saved: never rewritten
		}
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

// rejectNew rejects what directory e.From holds now and did not hold
// before (e.Keep): for a sweep of the data directory, keyspace directories
// ("ks") and table directories ("ks/table"); for a clear, plain names.
func rejectNew(ctx context.Context, fs FS, e entry) error {
	names, err := children(e.From, e.Aside)
	if err != nil {
		return err
	}
	for _, n := range names {
		if !slices.Contains(e.Keep, n) {
			if err := reject(ctx, fs, e.Aside, filepath.Join(e.From, n)); err != nil {
				return err
			}
			continue
		}
		if e.Kind != entrySweep {
			continue
		}
		tables, err := children(filepath.Join(e.From, n), "")
		if err != nil {
			return err
		}
		for _, t := range tables {
			if !slices.Contains(e.Keep, n+"/"+t) {
				if err := reject(ctx, fs, e.Aside, filepath.Join(e.From, n, t)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// reject moves path, if it exists, into <aside>/.rejected/<n>-<name>.
func reject(ctx context.Context, fs FS, aside, path string) error {
	if !exists(path) {
		return nil
	}
	dir := filepath.Join(aside, rejectedName)
	if err := fs.MkdirAll(ctx, dir); err != nil {
		return err
	}
	for n := 1; ; n++ {
		to := filepath.Join(dir, strconv.Itoa(n)+"-"+filepath.Base(path))
		if !exists(to) {
			return fs.Rename(ctx, path, to)
		}
	}
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
