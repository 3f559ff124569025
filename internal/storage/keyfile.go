package storage

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// ExpandHome replaces a leading "~" or "~/" in a key_file path with the
// user's home directory.
func ExpandHome(path string) (string, error) {
	if path != "~" && !strings.HasPrefix(path, "~/") {
		return path, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("key_file %s: cannot expand ~: %w", path, err)
	}
	return filepath.Join(home, strings.TrimPrefix(path, "~")), nil
}

// CheckKeyFile enforces the hygiene the AWS set-up guide asks for ("only
// users running Medusa can read/modify it") on a credentials file of any
// backend: it must be a regular file; one that group or others may write
// is refused (anyone could swap the identity); one they may read is used
// with a warning naming the chmod that fixes it. what describes the file
// ("a service-account JSON file") for the messages; missing tells what to
// do when the file does not exist.
func CheckKeyFile(path, what, missing string, log *slog.Logger) error {
	fi, err := os.Stat(path)
	if os.IsNotExist(err) {
		return fmt.Errorf("key_file %s does not exist: %s", path, missing)
	}
	if err != nil {
		return fmt.Errorf("key_file %s: %w", path, err)
	}
	if fi.IsDir() {
		return fmt.Errorf("key_file %s is a directory, not %s", path, what)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("key_file %s is not a regular file", path)
	}
	perm := fi.Mode().Perm()
	if perm&0o022 != 0 {
		return fmt.Errorf("key_file %s is writable by group or others (mode %#o), so anyone could swap the credentials: run chmod 600 %s", path, perm, path)
	}
	if perm&0o044 != 0 && log != nil {
		log.Warn("key_file is readable by group or others; run chmod 600 "+path,
			"file", path, "mode", fmt.Sprintf("%#o", perm))
	}
	return nil
}

// ReadKeyFile checks the file with CheckKeyFile, then reads it.
func ReadKeyFile(path, what, missing string, log *slog.Logger) ([]byte, error) {
	if err := CheckKeyFile(path, what, missing, log); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key_file %s: %w", path, err)
	}
	return data, nil
}
