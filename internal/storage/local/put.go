package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/checksum"
)

const (
	fileMode  = 0o644
	dirMode   = 0o755
	tmpPrefix = ".medusa-tmp-"
	copyBuf   = 1 << 20
	// mkdirTries bounds the retries when a concurrent Delete removes a
	// directory Put has just created (a loaded machine lost five races in a row
	// with eight writers on one directory).
	mkdirTries = 100
)

// Put implements storage.Backend: temporary file, fsync, rename, fsync of
// the directory. The hex MD5 is computed while writing.
func (b *Backend) Put(ctx context.Context, key string, src storage.Source) (storage.ObjectInfo, error) {
	path, err := b.path(key)
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	dir := filepath.Dir(path)
	f, err := b.createTemp(dir)
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			err = fmt.Errorf("%w: %w", storage.ErrAccessDenied, err)
		}
		return storage.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	tmp := f.Name()
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(tmp)
			b.removeEmptyDirs(dir) // the ones this Put may have created
		}
	}()
	hash, err := writeAll(ctx, f, src)
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = f.Close()
	}
	if err == nil {
		err = ctx.Err() // the rename is the write that makes the object
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	done = true
	if err := syncDir(dir); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return storage.ObjectInfo{}, b.translate("put", key, err)
	}
	info := describe(key, fi)
	info.Hash = hash
	return info, nil
}

// writeAll copies src into f, checking ctx between chunks, and returns the
// hex MD5 of what it wrote (checksum.Hasher).
func writeAll(ctx context.Context, f *os.File, src storage.Source) (string, error) {
	if err := f.Chmod(fileMode); err != nil {
		return "", err
	}
	h := checksum.NewHasher(0)
	buf := make([]byte, min(copyBuf, max(src.Size(), 1)))
	var off int64
	for off < src.Size() {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		n, err := src.ReadAt(buf[:min(int64(len(buf)), src.Size()-off)], off)
		if n > 0 {
			h.Write(buf[:n])
			if _, werr := f.Write(buf[:n]); werr != nil {
				return "", werr
			}
			off += int64(n)
		}
		if err != nil && !(errors.Is(err, io.EOF) && off == src.Size()) {
			if errors.Is(err, io.EOF) {
				err = fmt.Errorf("source ended at %d of %d bytes", off, src.Size())
			}
			return "", fmt.Errorf("read source: %w", err)
		}
	}
	return h.Sum(), nil
}

// createTemp creates the directories down to dir (never the bucket
// directory itself) and a temporary file in dir. It retries when a
// concurrent Delete removes a directory it has just created.
func (b *Backend) createTemp(dir string) (*os.File, error) {
	var err error
	for range mkdirTries {
		if err = b.mkdirs(dir); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			return nil, err
		}
		var f *os.File
		if f, err = os.CreateTemp(dir, tmpPrefix+"*"); err == nil {
			return f, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	return nil, err
}

// mkdirs creates dir and its missing parents below the bucket directory,
// fsyncing the parent of each directory it creates. A missing bucket
// directory gives os.ErrNotExist wrapped in storage.ErrBucketNotExist.
func (b *Backend) mkdirs(dir string) error {
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return nil
	}
	if _, err := os.Stat(b.root); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("directory %s: %w", b.root, storage.ErrBucketNotExist)
		}
		return err
	}
	rel, err := filepath.Rel(b.root, dir)
	if err != nil || rel == "." {
		return err
	}
	cur := b.root
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		parent := cur
		cur = filepath.Join(cur, part)
		err := os.Mkdir(cur, dirMode)
		switch {
		case err == nil:
			if err := syncDir(parent); err != nil {
				return err
			}
		case errors.Is(err, os.ErrExist):
		default:
			return err
		}
	}
	return nil
}

// syncDir fsyncs a directory so that entries created in it persist.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
