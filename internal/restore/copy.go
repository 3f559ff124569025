package restore

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// copyThenRemove moves from to to across file systems: the tree is copied
// (files synced) into a temporary name in to's directory, renamed into
// place in one step, and only then is from removed. A failure leaves to
// absent and from intact.
func copyThenRemove(from, to string) error {
	tmp := filepath.Join(filepath.Dir(to), "."+filepath.Base(to)+".medusa-copy")
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := copyTree(from, tmp); err != nil {
		_ = os.RemoveAll(tmp)
		return fmt.Errorf("copy %s to %s: %w", from, to, err)
	}
	if err := os.Rename(tmp, to); err != nil {
		_ = os.RemoveAll(tmp)
		return err
	}
	return os.RemoveAll(from)
}

// copyTree copies the directory or regular file src to dst (which must not
// exist), keeping modes.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := e.Info()
		if err != nil {
			return err
		}
		switch {
		case e.IsDir():
			return os.Mkdir(target, info.Mode().Perm()|0o700)
		case info.Mode().IsRegular():
			return copyFile(p, target, info.Mode().Perm())
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		default:
			return fmt.Errorf("%s: cannot copy a %s", p, info.Mode().Type())
		}
	})
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
