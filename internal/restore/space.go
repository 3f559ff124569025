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
	What  string // "download", "data"
	Bytes int64
	Free  uint64
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

// spaceNeeds computes the free space the download needs in tempDir and,
// when the data directory is on another file system (the files are then
// copied, not renamed, into place while the replaced ones are kept aside),
// in dataDir too.
func spaceNeeds(space func(string) (uint64, uint64, error), bytes int64, tempDir, dataDir string) ([]spaceNeed, error) {
	free, dev, err := space(tempDir)
	if err != nil {
		return nil, err
	}
	needs := []spaceNeed{{Dir: tempDir, What: "download", Bytes: bytes, Free: free}}
	if dataDir == "" {
		return needs, nil
	}
	dfree, ddev, err := space(dataDir)
	if err != nil {
		return nil, err
	}
	if ddev != dev {
		needs = append(needs, spaceNeed{Dir: dataDir, What: "copy into the data directory (the replaced files are kept until the restore succeeded)",
			Bytes: bytes, Free: dfree})
	}
	return needs, nil
}

// checkSpace fails when a need is not met, naming the bytes missing.
func checkSpace(needs []spaceNeed) error {
	var errs []error
	for _, n := range needs {
		if n.short() {
			errs = append(errs, fmt.Errorf("not enough free space in %s", n))
			if l := leftovers(n.Dir); l != "" {
				errs = append(errs, errors.New(l))
			}
		}
	}
	if len(errs) > 0 {
		errs = append(errs, errors.New("free some space or point --temp-dir (--download-destination for download) elsewhere"))
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
