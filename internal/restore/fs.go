package restore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// FS performs the changes to the node's directories. DirectFS calls the
// operating system; SudoFS runs the same operations through sudo
// ([storage] use_sudo_for_restore), like Medusa.
type FS interface {
	// Rename moves from to to (a path that must not exist). Moves between
	// file systems copy then remove the source.
	Rename(ctx context.Context, from, to string) error
	// MkdirAll creates dir and its parents.
	MkdirAll(ctx context.Context, dir string) error
	// RemoveAll removes path and everything below it.
	RemoveAll(ctx context.Context, path string) error
	// Chown gives path and everything below it to uid:gid.
	Chown(ctx context.Context, path string, uid, gid int) error
	// WriteFile replaces the content of an existing file, keeping its
	// mode and owner (and writing through a symbolic link).
	WriteFile(ctx context.Context, path string, data []byte) error
	// NeedsAccessCheck tells whether the restore must check, before
	// stopping Cassandra, that it may write the directories it changes.
	NeedsAccessCheck() bool
}

// DirectFS changes files with this process's own rights.
type DirectFS struct{}

// Rename implements FS; across file systems it copies into a temporary
// name beside to, renames that into place and removes from.
func (DirectFS) Rename(_ context.Context, from, to string) error {
	if _, err := os.Lstat(to); err == nil {
		return fmt.Errorf("move %s to %s: the destination exists", from, to)
	}
	err := os.Rename(from, to)
	if errors.Is(err, syscall.EXDEV) {
		return copyThenRemove(from, to)
	}
	return err
}

// MkdirAll implements FS.
func (DirectFS) MkdirAll(_ context.Context, dir string) error { return os.MkdirAll(dir, 0o755) }

// RemoveAll implements FS.
func (DirectFS) RemoveAll(_ context.Context, path string) error { return os.RemoveAll(path) }

// Chown implements FS; files already owned by uid:gid are left alone (so a
// non-root user restoring into its own directories needs no rights).
func (DirectFS) Chown(_ context.Context, path string, uid, gid int) error {
	return filepath.WalkDir(path, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) == uid && int(st.Gid) == gid {
			return nil
		}
		if err := os.Lchown(p, uid, gid); err != nil {
			return fmt.Errorf("chown %s to %d:%d: %w (set [storage] use_sudo_for_restore = True or run as the data directory's owner)",
				p, uid, gid, err)
		}
		return nil
	})
}

// WriteFile implements FS.
func (DirectFS) WriteFile(_ context.Context, path string, data []byte) error {
	return writeSynced(path, os.O_WRONLY|os.O_TRUNC, data)
}

// writeSynced opens path with flag (mode 0600 if it creates it), writes
// data and fsyncs the file.
func writeSynced(path string, flag int, data []byte) error {
	f, err := os.OpenFile(path, flag, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// NeedsAccessCheck implements FS.
func (DirectFS) NeedsAccessCheck() bool { return true }

// SudoFS runs mv, mkdir, rm, chown and tee through "sudo -n" (never
// prompting for a password).
type SudoFS struct {
	// Sudo is the command prefix (default ["sudo", "-n"]).
	Sudo []string
}

func (s SudoFS) run(ctx context.Context, stdin []byte, args ...string) error {
	prefix := s.Sudo
	if prefix == nil {
		prefix = []string{"sudo", "-n"}
	}
	argv := append(append([]string{}, prefix...), args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var out bytes.Buffer
	cmd.Stderr = &out
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

// Rename implements FS with mv -T (the destination is never treated as a
// directory to move into).
func (s SudoFS) Rename(ctx context.Context, from, to string) error {
	if _, err := os.Lstat(to); err == nil {
		return fmt.Errorf("move %s to %s: the destination exists", from, to)
	}
	return s.run(ctx, nil, "mv", "-T", "--", from, to)
}

// MkdirAll implements FS.
func (s SudoFS) MkdirAll(ctx context.Context, dir string) error {
	return s.run(ctx, nil, "mkdir", "-p", "--", dir)
}

// RemoveAll implements FS.
func (s SudoFS) RemoveAll(ctx context.Context, path string) error {
	return s.run(ctx, nil, "rm", "-rf", "--", path)
}

// Chown implements FS.
func (s SudoFS) Chown(ctx context.Context, path string, uid, gid int) error {
	return s.run(ctx, nil, "chown", "-R", fmt.Sprintf("%d:%d", uid, gid), "--", path)
}

// WriteFile implements FS with tee (which keeps the file's mode and owner).
func (s SudoFS) WriteFile(ctx context.Context, path string, data []byte) error {
	return s.run(ctx, data, "tee", "--", path)
}

// NeedsAccessCheck implements FS: sudo may write anywhere.
func (SudoFS) NeedsAccessCheck() bool { return false }
