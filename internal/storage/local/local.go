package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/medusa-go/medusa/internal/storage"
)

// Options configure the local backend.
type Options struct {
	// BasePath is [storage] base_path.
	BasePath string
	// Bucket is [storage] bucket_name, a directory under BasePath.
	Bucket string
	// Create makes New create BasePath/Bucket when it is missing.
	Create bool
}

// Backend stores objects as files under one directory.
type Backend struct {
	root string // absolute <base_path>/<bucket_name>
}

var _ storage.Backend = (*Backend)(nil)

// New returns the backend for opts. It fails when the options are empty
// and, with Create, when the bucket directory cannot be created.
func New(opts Options) (*Backend, error) {
	if opts.BasePath == "" {
		return nil, errors.New("local storage: base_path is empty; set [storage] base_path")
	}
	if opts.Bucket == "" {
		return nil, errors.New("local storage: bucket_name is empty; set [storage] bucket_name")
	}
	root, err := filepath.Abs(filepath.Join(opts.BasePath, opts.Bucket))
	if err != nil {
		return nil, fmt.Errorf("local storage: %w", err)
	}
	if opts.Create {
		if err := os.MkdirAll(root, dirMode); err != nil {
			return nil, fmt.Errorf("local storage: create bucket directory: %w", err)
		}
	}
	return &Backend{root: root}, nil
}

// Root returns the bucket directory.
func (b *Backend) Root() string { return b.root }

// Close implements storage.Backend; there is nothing to release.
func (b *Backend) Close() error { return nil }

// Get implements storage.Backend. The description comes from the open
// file, so it names the version the stream reads even when a Put renames
// another file over the key meanwhile.
func (b *Backend) Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, storage.ObjectInfo, error) {
	path, err := b.path(key)
	if err != nil {
		return nil, storage.ObjectInfo{}, fmt.Errorf("get %s: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, storage.ObjectInfo{}, fmt.Errorf("get %s: %w", key, err)
	}
	if offset < 0 {
		return nil, storage.ObjectInfo{}, fmt.Errorf("get %s: negative offset %d", key, offset)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, storage.ObjectInfo{}, b.translate("get", key, err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%s is not a regular file: %w", path, storage.ErrNotExist)
	}
	if err == nil && offset > fi.Size() {
		err = fmt.Errorf("range starts at %d, past the end of the %d-byte object", offset, fi.Size())
	}
	if err != nil {
		f.Close()
		return nil, storage.ObjectInfo{}, fmt.Errorf("get %s: %w", key, err)
	}
	n := fi.Size() - offset
	if length >= 0 && length < n {
		n = length
	}
	return &reader{ctx: ctx, r: io.NewSectionReader(f, offset, n), f: f}, describe(key, fi), nil
}

// describe is the ObjectInfo of a file. Hash is empty (see the package
// doc); Version is the inode (where the system has one: Put renames a new
// file over the key), modification time and size.
func describe(key string, fi os.FileInfo) storage.ObjectInfo {
	return storage.ObjectInfo{Key: key, Size: fi.Size(), ModTime: fi.ModTime(),
		Version: fmt.Sprintf("%d-%d-%d", inode(fi), fi.ModTime().UnixNano(), fi.Size())}
}

// reader is a Get stream that stops when its context is cancelled.
type reader struct {
	ctx context.Context
	r   *io.SectionReader
	f   *os.File
}

func (r *reader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}

func (r *reader) Close() error { return r.f.Close() }

// Stat implements storage.Backend. Hash is empty (see the package doc).
func (b *Backend) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	path, err := b.path(key)
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("stat %s: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("stat %s: %w", key, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return storage.ObjectInfo{}, b.translate("stat", key, err)
	}
	if !fi.Mode().IsRegular() {
		return storage.ObjectInfo{}, fmt.Errorf("stat %s: not a regular file: %w", key, storage.ErrNotExist)
	}
	return describe(key, fi), nil
}

// Delete implements storage.Backend.
func (b *Backend) Delete(ctx context.Context, key string) error {
	path, err := b.path(key)
	if err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	fi, err := os.Lstat(path)
	if err == nil && fi.IsDir() {
		return nil // a "directory" is not an object
	}
	if err == nil {
		err = os.Remove(path)
	}
	if err != nil {
		err = b.translate("delete", key, err)
		if errors.Is(err, storage.ErrNotExist) {
			return nil
		}
		return err
	}
	b.removeEmptyDirs(filepath.Dir(path))
	return nil
}

// DeleteMany implements storage.Backend, one file at a time.
func (b *Backend) DeleteMany(ctx context.Context, keys []string) error {
	for _, key := range keys {
		if _, err := b.path(key); err != nil {
			return fmt.Errorf("delete %s: %w", key, err)
		}
	}
	for _, key := range keys {
		if err := b.Delete(ctx, key); err != nil {
			return err
		}
	}
	return nil
}

// removeEmptyDirs removes dir and its parents while they are empty,
// stopping below the bucket directory.
func (b *Backend) removeEmptyDirs(dir string) {
	for dir != b.root && strings.HasPrefix(dir, b.root+string(filepath.Separator)) {
		if os.Remove(dir) != nil {
			return
		}
		dir = filepath.Dir(dir)
	}
}

// translate maps a file-system error of op on key to the storage
// sentinels: a missing file is ErrNotExist, or ErrBucketNotExist when the
// bucket directory itself is missing.
func (b *Backend) translate(op, key string, err error) error {
	switch {
	case errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
		if _, rerr := os.Stat(b.root); errors.Is(rerr, os.ErrNotExist) {
			return fmt.Errorf("%s %s: directory %s: %w", op, key, b.root, storage.ErrBucketNotExist)
		}
		return fmt.Errorf("%s %s: %w", op, key, storage.ErrNotExist)
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("%s %s: %w: %w", op, key, storage.ErrAccessDenied, err)
	}
	return fmt.Errorf("%s %s: %w", op, key, err)
}
