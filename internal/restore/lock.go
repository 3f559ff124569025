package restore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// LockName is the file a restore locks in its temporary directory, so two
// restores of a node never run at once.
const LockName = "medusa_restore_in_progress"

// acquireLock holds an exclusive flock on <dir>/medusa_restore_in_progress
// until the returned function is called.
func acquireLock(dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, LockName)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another restore is running on this node (%s is locked)", path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	// The file is left in place: removing it would let a third process
	// lock a new file while a second one still waits on the old.
	return func() { _ = f.Close() }, nil
}
