package backup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// MarkerName is the in-progress marker Medusa creates in the temporary
// directory while a node backup runs (Kubernetes entrypoints look for it).
const MarkerName = "medusa_backup_in_progress"

// acquireLock creates <dir>/medusa_backup_in_progress and holds an
// exclusive flock on it for the whole backup. A second backup on the node
// finds the lock held and is refused; a marker left behind by a crashed
// process is not locked, so it does not block the next backup (Medusa's
// own check never fired). The returned function removes the marker and
// releases the lock.
func acquireLock(dir string) (func(), error) {
	path := filepath.Join(dir, MarkerName)
	for range 10 {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			return nil, fmt.Errorf("create in-progress marker %s: %w", path, err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, fmt.Errorf("%w: %s is locked by another medusa process; wait for it to finish",
					ErrInProgress, path)
			}
			return nil, fmt.Errorf("lock in-progress marker %s: %w", path, err)
		}
		// The previous holder may have removed the file between our open
		// and our lock: then we hold a lock on a file nobody else sees.
		if same, err := sameFile(f, path); err != nil || !same {
			f.Close()
			continue
		}
		return func() {
			os.Remove(path)
			f.Close()
		}, nil
	}
	return nil, fmt.Errorf("lock in-progress marker %s: it keeps being replaced", path)
}

// sameFile reports whether the open file f is still the file at path.
func sameFile(f *os.File, path string) (bool, error) {
	a, err := f.Stat()
	if err != nil {
		return false, err
	}
	b, err := os.Stat(path)
	if err != nil {
		return false, err
	}
	return os.SameFile(a, b), nil
}
