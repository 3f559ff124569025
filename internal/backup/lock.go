package backup

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// MarkerName is the in-progress marker Medusa creates in the temporary
// directory while a node backup runs (Kubernetes entrypoints look for it).
const MarkerName = "medusa_backup_in_progress"

// heldLock is the in-progress marker, locked by this process.
type heldLock struct {
	f    *os.File
	path string
	// previous is what the marker held when this process locked it: the
	// owner record of a run that ended without removing it (killed).
	previous []byte
	// previousMod is the marker's modification time when this process
	// locked it, before this run wrote its own record: when a killed run
	// left it, when that run started.
	previousMod time.Time
}

// lockMarker creates <dir>/medusa_backup_in_progress and holds an
// exclusive flock on it. A second backup on the node finds the lock held
// and is refused; a marker left behind by a crashed process is not
// locked, so it does not block the next backup (Medusa's own check never
// fired), and its content (the dead run's owner record) is returned.
func lockMarker(dir string) (*heldLock, error) {
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
		prev, err := io.ReadAll(io.LimitReader(f, 64<<10))
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("read in-progress marker %s: %w", path, err)
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("read in-progress marker %s: %w", path, err)
		}
		return &heldLock{f: f, path: path, previous: prev, previousMod: fi.ModTime()}, nil
	}
	return nil, fmt.Errorf("lock in-progress marker %s: it keeps being replaced", path)
}

// write replaces the marker's content (the owner record).
func (l *heldLock) write(data []byte) error {
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("write in-progress marker %s: %w", l.path, err)
	}
	if _, err := l.f.WriteAt(data, 0); err != nil {
		return fmt.Errorf("write in-progress marker %s: %w", l.path, err)
	}
	return nil
}

// release removes the marker and releases the lock.
func (l *heldLock) release() {
	os.Remove(l.path)
	l.f.Close()
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
