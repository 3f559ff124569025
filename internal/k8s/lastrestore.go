package k8s

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DefaultLastRestoreDir holds LastRestoreFile: the pod's data volume,
// mounted at /var/lib/cassandra in the Cassandra and medusa containers.
const DefaultLastRestoreDir = "/var/lib/cassandra"

// LastRestoreFile records the key of the last restore that completed,
// newline-terminated (as Medusa's entry point writes it).
const LastRestoreFile = ".last-restore"

// ReadLastRestore returns the key recorded in dir ("" when there is none).
// Surrounding white space is ignored.
func ReadLastRestore(dir string) (string, error) {
	path := filepath.Join(dir, LastRestoreFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the last restore key: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// WriteLastRestore records key in dir atomically: a temporary file beside
// it is written and synced, then renamed over it, and the directory synced.
func WriteLastRestore(dir, key string) (err error) {
	path := filepath.Join(dir, LastRestoreFile)
	f, err := os.CreateTemp(dir, LastRestoreFile+".tmp-*")
	if err != nil {
		return fmt.Errorf("record the restore key in %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
			err = fmt.Errorf("record the restore key in %s: %w", path, err)
		}
	}()
	if _, err = f.WriteString(key + "\n"); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err = os.Chmod(tmp, 0o644); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
