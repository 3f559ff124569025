package restore

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// The journal is the write-ahead record of every change a restore makes to
// the node. It lives in the data directory's aside root, on the same file
// system as what it describes, as one JSON record per line, appended and
// fsynced before the changes it announces are made. A restore killed at
// any point leaves a journal that the next medusa command replays (see
// Recover): every recorded change can be undone whether or not it
// happened, so a change announced but not made is harmless.
const journalName = ".journal"

// entryKind is one kind of change recorded in the journal; each has its
// own way to be undone.
type entryKind string

const (
	// entryAside: From (the node's) is moved to To (aside). Undo, when To
	// exists: what is at From now goes to the rejected area, To goes back.
	entryAside entryKind = "aside"
	// entryPlace: From (downloaded) is moved to To (in the data dir).
	// Undo: To goes to the rejected area.
	entryPlace entryKind = "place"
	// entryCarry: From (snapshots/ or backups/ of a replaced table dir,
	// aside) is moved into the new table dir at To. Undo, when To exists
	// and From does not: To back to From.
	entryCarry entryKind = "carry"
	// entryClear: directory From held the names Keep; its contents are
	// moved aside (entryAside entries). Undo: any other name found in From
	// but the aside root goes to the rejected area.
	entryClear entryKind = "clear"
	// entrySweep: the data directory From held the keyspace and table
	// directories Keep. Undo: any other one goes to the rejected area.
	entrySweep entryKind = "sweep"
	// entryFile: file To is rewritten; From holds its previous content.
	// Undo: the previous content is written back.
	entryFile entryKind = "file"
)

// entry is one recorded change.
type entry struct {
	Kind entryKind `json:"kind"`
	From string    `json:"from"`
	To   string    `json:"to"`
	// Aside is the aside root of the directory concerned: things found in
	// the way during a rollback go to <Aside>/.rejected/.
	Aside  string   `json:"aside,omitempty"`
	Keep   []string `json:"keep,omitempty"`
	Undone bool     `json:"-"`
}

// state is a milestone of the restore, recorded when reached.
type state string

const (
	// stateStopping: Cassandra is about to be drained and stopped; a
	// recovery starts it again.
	stateStopping state = "stopping"
	stateDrained  state = "drained"
	// statePlaced: every file is in place; a recovery completes the
	// restore (starts Cassandra) rather than rolling it back.
	statePlaced state = "placed"
	// stateDone: Cassandra is up with the restored data; what was moved
	// aside is being removed.
	stateDone state = "done"
	// stateRolledBack: every change was undone; the aside roots and the
	// download are being removed.
	stateRolledBack state = "rolled-back"
)

// header describes the restore a journal belongs to: what a recovery
// needs beyond the changes.
type header struct {
	Backup          string            `json:"backup"`
	ID              string            `json:"id"`
	Started         time.Time         `json:"started"`
	PID             int               `json:"pid"`
	Staging         string            `json:"staging"`
	Node            NodePaths         `json:"node"`
	Asides          map[string]string `json:"asides"` // node directory -> its aside root
	ManageCassandra bool              `json:"manage_cassandra"`
	Keyspaces       []string          `json:"keyspaces,omitempty"`
	Tables          []string          `json:"tables,omitempty"`
	Verify          bool              `json:"verify,omitempty"`
	Checks          Checks            `json:"checks"`
	// PITR: a point-in-time restore; the properties file to reset.
	PITR *pitrHeader `json:"pitr,omitempty"`
}

// record is one line of the journal: exactly one field is set.
type record struct {
	Header *header `json:"header,omitempty"`
	Entry  *entry  `json:"entry,omitempty"`
	Undone *int    `json:"undone,omitempty"`
	State  state   `json:"state,omitempty"`
}

// journal is an open journal file, locked (flock) for as long as this
// process works on it: a journal that cannot be locked belongs to a
// restore that is running.
type journal struct {
	Path    string
	Header  header
	Entries []entry
	states  map[state]bool
	f       *os.File
	// beforeWrite, when set, runs before each append (tests crash there).
	beforeWrite func()
}

// errJournalLocked: another live process holds the journal.
var errJournalLocked = errors.New("the restore journal is locked by a running medusa")

// errJournalEmpty: the journal has no header (its restore was killed
// while creating it, before changing anything).
var errJournalEmpty = errors.New("empty restore journal")

// createJournal creates and locks the journal at path (which must not
// exist) and makes its header durable. It is written under a temporary
// name and linked to path only once locked and holding its header, so a
// recovery running at the same moment never finds it empty and unlocked.
func createJournal(path string, h header) (*journal, error) {
	tmp := path + ".creating"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create the restore journal: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock the restore journal %s: %w", tmp, err)
	}
	j := &journal{Path: path, Header: h, states: map[state]bool{}, f: f}
	if err := j.append(record{Header: &h}); err != nil {
		j.close()
		return nil, err
	}
	// A hard link keeps the inode, so the lock holds under the new name;
	// unlike a rename it fails if path exists.
	if err := os.Link(tmp, path); err != nil {
		j.close()
		return nil, fmt.Errorf("create the restore journal: %w", err)
	}
	if err := os.Remove(tmp); err != nil {
		j.close()
		return nil, fmt.Errorf("create the restore journal: %w", err)
	}
	dir := filepath.Dir(path)
	if err := syncDirs(dir, filepath.Dir(dir)); err != nil {
		j.close()
		return nil, err
	}
	return j, nil
}

// openJournal locks and reads the journal at path. A torn last line (a
// write cut short) is ignored: its change was never made.
func openJournal(path string) (*journal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: %w", path, errJournalLocked)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	j := &journal{Path: path, states: map[state]bool{}, f: f}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	first := true
	for sc.Scan() {
		var rec record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			if first {
				break
			}
			continue // a torn write: what it announced was never done
		}
		switch {
		case rec.Header != nil:
			j.Header = *rec.Header
		case rec.Entry != nil:
			j.Entries = append(j.Entries, *rec.Entry)
		case rec.Undone != nil && *rec.Undone >= 0 && *rec.Undone < len(j.Entries):
			j.Entries[*rec.Undone].Undone = true
		case rec.State != "":
			j.states[rec.State] = true
		}
		if first && rec.Header == nil {
			f.Close()
			return nil, fmt.Errorf("%s: not a restore journal", path)
		}
		first = false
	}
	if err := sc.Err(); err != nil {
		f.Close()
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if first {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, errJournalEmpty)
	}
	if err := endLine(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return j, nil
}

// endLine ends a torn last line, so that records appended next start on
// a line of their own.
func endLine(f *os.File) error {
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return err
	}
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, fi.Size()-1); err != nil {
		return err
	}
	if last[0] == '\n' {
		return nil
	}
	_, err = f.Write([]byte("\n"))
	return err
}

// append writes records in one write and fsyncs the file.
func (j *journal) append(recs ...record) error {
	if j.beforeWrite != nil {
		j.beforeWrite()
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	if _, err := j.f.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write the restore journal %s: %w", j.Path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("sync the restore journal %s: %w", j.Path, err)
	}
	return nil
}

// intend records changes about to be made (one write, one fsync).
func (j *journal) intend(es ...entry) error {
	if len(es) == 0 {
		return nil
	}
	recs := make([]record, len(es))
	for i := range es {
		recs[i] = record{Entry: &es[i]}
	}
	if err := j.append(recs...); err != nil {
		return err
	}
	j.Entries = append(j.Entries, es...)
	return nil
}

// mark records that the restore reached s.
func (j *journal) mark(s state) error {
	if err := j.append(record{State: s}); err != nil {
		return err
	}
	j.states[s] = true
	return nil
}

func (j *journal) has(s state) bool { return j.states[s] }

// close releases the lock (the file stays).
func (j *journal) close() {
	if j != nil && j.f != nil {
		_ = j.f.Close()
		j.f = nil
	}
}

// syncDirs fsyncs directories so that renames and creations in them are
// durable; missing ones are skipped.
func syncDirs(dirs ...string) error {
	for _, d := range dirs {
		f, err := os.Open(d)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		err = f.Sync()
		f.Close()
		if err != nil && !errors.Is(err, syscall.EINVAL) {
			return fmt.Errorf("sync %s: %w", d, err)
		}
	}
	return nil
}
