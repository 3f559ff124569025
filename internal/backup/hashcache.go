package backup

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/medusa-go/medusa/internal/storage"
)

// Files whose content matched a stored object by hash (rule 3 of
// reuse.go: files written after every copy was stored, as a restore
// leaves them) are remembered, so that the next backups do not read them
// again: a file whose device, inode, size and modification time are
// unchanged still has the content that was hashed (SSTables are never
// rewritten; any write changes the modification time), and it is reused
// from the same object if that object's key, time and hash are unchanged.
// The record lives beside the in-progress marker; when it is missing or
// unreadable the files are simply hashed again.

// HashCacheName is the record of matched files in the lock directory.
const HashCacheName = "medusa_backup_matched.json"

// fileID identifies a file's content on this host without reading it.
type fileID struct {
	Dev, Ino uint64
	Size     int64
	MtimeNs  int64
}

// matched is one remembered match.
type matched struct {
	ID      fileID
	Key     string // the object reused
	ModTime int64  // its store time, Unix nanoseconds
	Hash    string
}

// hashCache is the record, read at the start of the compare stage and
// rewritten with this backup's matches at its end.
type hashCache struct {
	mu   sync.Mutex
	path string
	old  map[fileID]matched
	new  []matched
}

func loadHashCache(dir string) *hashCache {
	c := &hashCache{path: filepath.Join(dir, HashCacheName), old: map[fileID]matched{}}
	data, err := os.ReadFile(c.path)
	if err != nil {
		return c
	}
	var list []matched
	if json.Unmarshal(data, &list) != nil {
		return c
	}
	for _, m := range list {
		c.old[m.ID] = m
	}
	return c
}

// statID returns the identity of the file at path.
func statID(path string) (fileID, bool) {
	st, err := os.Stat(path)
	if err != nil {
		return fileID{}, false
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{Dev: uint64(sys.Dev), Ino: sys.Ino, Size: st.Size(), MtimeNs: st.ModTime().UnixNano()}, true
}

// lookup returns the candidate the file matched before, if both are
// unchanged; the match is carried into the new record.
func (c *hashCache) lookup(path string, f *File, candidates []storage.ObjectInfo) (storage.ObjectInfo, bool) {
	id, ok := statID(path)
	if !ok || id.Size != f.Size {
		return storage.ObjectInfo{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.old[id]
	if !ok {
		return storage.ObjectInfo{}, false
	}
	for _, o := range candidates {
		if o.Key == m.Key && o.ModTime.UnixNano() == m.ModTime && o.Hash == m.Hash && o.Hash != "" {
			c.new = append(c.new, m)
			return o, true
		}
	}
	return storage.ObjectInfo{}, false
}

// remember records that the file at path matched o.
func (c *hashCache) remember(path string, o storage.ObjectInfo) {
	id, ok := statID(path)
	if !ok {
		return
	}
	c.mu.Lock()
	c.new = append(c.new, matched{ID: id, Key: o.Key, ModTime: o.ModTime.UnixNano(), Hash: o.Hash})
	c.mu.Unlock()
}

// save replaces the record with this backup's matches (written to a
// temporary file, then renamed).
func (c *hashCache) save() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.new) == 0 && len(c.old) == 0 {
		return nil
	}
	data, err := json.Marshal(c.new)
	if err != nil {
		return err
	}
	tmp := c.path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, c.path); err != nil {
		return fmt.Errorf("write %s: %w", c.path, err)
	}
	return nil
}
