package grpcserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/medusa-go/medusa/internal/atomicfile"
)

// The operation state of the server: one small JSON file per backup it
// accepted, <state dir>/backup-<name>.json, replaced atomically (temporary
// file, fsync, rename, fsync of the directory) at every change, so a
// sidecar killed at any moment finds on its next start what it was doing.
// <state dir>/.lock is held (flock) by the server using the directory: two
// servers never share one.

// Operation statuses, as the proto's StatusType names them.
const (
	statusInProgress = "IN_PROGRESS"
	statusSuccess    = "SUCCESS"
	statusFailed     = "FAILED"
)

// record is the state of one backup this node's server accepted.
type record struct {
	Name   string `json:"name"`
	Mode   string `json:"mode"`
	Status string `json:"status"`
	// Started is when the server accepted the backup; Finished when it
	// ended (success or failure); zero while it runs.
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
	// Error says why a FAILED backup failed.
	Error string `json:"error,omitempty"`
	// PID is the server process that ran it.
	PID int `json:"pid"`
}

const (
	recordPrefix = "backup-"
	recordSuffix = ".json"
	lockName     = ".lock"
)

// store is the state directory, locked by this process.
type store struct {
	dir  string
	lock *os.File
}

// openStore creates dir if needed and locks it. A directory locked by a
// running server is refused, naming that server's pid.
func openStore(dir string) (*store, error) {
	if dir == "" {
		return nil, errors.New("grpc server: no state directory (--state-dir)")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("grpc server: create the state directory %s (choose another with --state-dir): %w", dir, err)
	}
	path := filepath.Join(dir, lockName)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("grpc server: open %s (choose another state directory with --state-dir): %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		owner, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("grpc server: the state directory %s is in use by another medusa grpc-server (pid %s); "+
				"stop it or give this one its own --state-dir", dir, strings.TrimSpace(string(owner)))
		}
		return nil, fmt.Errorf("grpc server: lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &store{dir: dir, lock: f}, nil
}

// close releases the directory.
func (s *store) close() {
	if s.lock != nil {
		s.lock.Close()
		s.lock = nil
	}
}

func (s *store) path(name string) string {
	return filepath.Join(s.dir, recordPrefix+url.PathEscape(name)+recordSuffix)
}

// load reads every record. Files that cannot be parsed are returned as
// problems (and left in place), not errors: one bad file must not keep the
// server from starting.
func (s *store) load() (recs []record, problems []string, err error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, nil, fmt.Errorf("grpc server: read the state directory %s: %w", s.dir, err)
	}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasPrefix(n, recordPrefix) || !strings.HasSuffix(n, recordSuffix) {
			continue
		}
		path := filepath.Join(s.dir, n)
		data, err := os.ReadFile(path)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", path, err))
			continue
		}
		var r record
		if err := json.Unmarshal(data, &r); err != nil || r.Name == "" || s.path(r.Name) != path {
			problems = append(problems, fmt.Sprintf("%s: not a backup record of this server (ignored)", path))
			continue
		}
		switch r.Status {
		case statusInProgress, statusSuccess, statusFailed:
		default:
			problems = append(problems, fmt.Sprintf("%s: unknown status %q (ignored)", path, r.Status))
			continue
		}
		recs = append(recs, r)
	}
	return recs, problems, nil
}

// put replaces the record of r.Name atomically.
func (s *store) put(r record) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(s.path(r.Name), append(data, '\n'), 0o600)
}

// remove deletes the record of name (no error if there is none).
func (s *store) remove(name string) error {
	err := os.Remove(s.path(name))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("grpc server: remove the record of backup %s: %w", name, err)
	}
	return atomicfile.SyncDir(s.dir)
}
