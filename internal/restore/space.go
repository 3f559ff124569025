package restore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/medusa-go/medusa/internal/layout"
)

// statfs returns the bytes available to this user and the device of the
// file system holding path; a path that does not exist yet is measured at
// its nearest existing parent.
func statfs(path string) (free uint64, dev uint64, err error) {
	p := path
	for {
		var fi os.FileInfo
		if fi, err = os.Stat(p); err == nil {
			var st syscall.Statfs_t
			if err = syscall.Statfs(p, &st); err != nil {
				return 0, 0, fmt.Errorf("free space of %s: %w", p, err)
			}
			if s, ok := fi.Sys().(*syscall.Stat_t); ok {
				dev = uint64(s.Dev)
			}
			return st.Bavail * uint64(st.Bsize), dev, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return 0, 0, fmt.Errorf("free space of %s: %w", path, err)
		}
		parent := filepath.Dir(p)
		if parent == p {
			return 0, 0, fmt.Errorf("free space of %s: %w", path, err)
		}
		p = parent
	}
}

// spaceNeed is the room one directory must have.
type spaceNeed struct {
	Dir   string
	What  string // what the room is for
	Bytes int64
	Free  uint64
	// Hint says what to do when the room is short.
	Hint string
}

func (n spaceNeed) short() bool { return n.Free < uint64(max(n.Bytes, 0)) }

func (n spaceNeed) String() string {
	s := fmt.Sprintf("%s: needs %d bytes (%s) for the %s, %d bytes (%s) free", n.Dir, n.Bytes,
		layout.FormatBytes(n.Bytes), n.What, n.Free, layout.FormatBytes(int64(n.Free)))
	if n.short() {
		miss := n.Bytes - int64(n.Free)
		s += fmt.Sprintf(": %d bytes (%s) short", miss, layout.FormatBytes(miss))
	}
	return s
}

// Hints of the space needs.
const (
	hintDownload = "free some space there or point --temp-dir (--download-destination for download) at a file system with room"
	hintData     = "free some space on the data directory's file system: the restore copies the download there while the " +
		"replaced files stay aside until Cassandra is up again, so it needs room for the whole download beside them " +
		"(another --temp-dir does not change that)"
)

// spaceNeeds computes the free space the download needs in tempDir and,
// when dataDir is given, what the data directory's file system needs to
// hold the download beside the files it replaces (kept aside until the
// restore succeeded): on the same file system the download is renamed
// into place, so the one need's hint names the data directory; on another
// one the files are copied, so the data directory needs the room too.
func spaceNeeds(space func(string) (uint64, uint64, error), bytes int64, tempDir, dataDir string) ([]spaceNeed, error) {
	free, dev, err := space(tempDir)
	if err != nil {
		return nil, err
	}
	download := spaceNeed{Dir: tempDir, What: "download", Bytes: bytes, Free: free, Hint: hintDownload}
	if dataDir == "" {
		return []spaceNeed{download}, nil
	}
	dfree, ddev, err := space(dataDir)
	if err != nil {
		return nil, err
	}
	if ddev == dev {
		download.Hint = "that file system also holds the data directory " + dataDir + ", where the download is " +
			"renamed beside the replaced files kept aside until the restore succeeded: free some space there or point " +
			"--temp-dir at another file system with room (the data directory's then needs room for a copy)"
		return []spaceNeed{download}, nil
	}
	return []spaceNeed{download, {Dir: dataDir, Bytes: bytes, Free: dfree, Hint: hintData,
		What: "copy into the data directory, beside the replaced files kept aside until the restore succeeded"}}, nil
}

// checkSpace fails when a need is not met, naming the directory, the
// bytes missing, what interrupted restores left there and what to do.
func checkSpace(needs []spaceNeed) error {
	var errs []error
	for _, n := range needs {
		if n.short() {
			errs = append(errs, fmt.Errorf("not enough free space in %s", n))
			if l := leftovers(n.Dir); l != "" {
				errs = append(errs, errors.New(l))
			}
			if n.Hint != "" {
				errs = append(errs, errors.New(n.Hint))
			}
		}
	}
	return errors.Join(errs...)
}

// leftovers names what interrupted restores left directly in dir
// (downloads, aside directories) and the command that removes them; ""
// when there is none.
func leftovers(dir string) string {
	names, err := children(dir, "")
	if err != nil {
		return ""
	}
	var paths []string
	var total int64
	for _, n := range names {
		if strings.HasPrefix(n, "medusa-restore-") || strings.HasPrefix(n, asidePrefix) {
			p := filepath.Join(dir, n)
			paths = append(paths, p)
			total += treeSize(p)
		}
	}
	if len(paths) == 0 || total == 0 {
		return ""
	}
	return fmt.Sprintf("%s holds %d bytes (%s) left by interrupted restores; once checked that nothing there is needed "+
		"(no restore runs), remove them with: rm -rf %s", dir, total, layout.FormatBytes(total), strings.Join(paths, " "))
}
