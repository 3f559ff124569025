package local

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/medusa-go/medusa/internal/storage"
)

// List implements storage.Backend. It walks only the directories that can
// hold keys with prefix, reading one directory at a time, and yields keys
// in byte order: the entries of a directory are sorted by name, a
// directory's name followed by '/', which is the order of the keys.
func (b *Backend) List(ctx context.Context, prefix string) iter.Seq2[storage.ObjectInfo, error] {
	return func(yield func(storage.ObjectInfo, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(storage.ObjectInfo{}, fmt.Errorf("list %s: %w", prefix, err))
			return
		}
		if _, err := os.Stat(b.root); err != nil {
			yield(storage.ObjectInfo{}, b.translate("list", prefix, err))
			return
		}
		dirKey, ok := listStart(prefix)
		if !ok {
			return
		}
		b.walk(ctx, dirKey, prefix, yield)
	}
}

// walk yields the objects under the directory of dirKey ("" or ending in
// '/') whose keys start with prefix. It returns false when iteration
// must stop.
func (b *Backend) walk(ctx context.Context, dirKey, prefix string, yield func(storage.ObjectInfo, error) bool) bool {
	entries, err := os.ReadDir(filepath.Join(b.root, filepath.FromSlash(dirKey)))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return true // nothing there, or a file where the prefix needs a directory
		}
		if errors.Is(err, fs.ErrPermission) {
			err = fmt.Errorf("%w: %w", storage.ErrAccessDenied, err)
		}
		yield(storage.ObjectInfo{}, fmt.Errorf("list %s: %w", prefix, err))
		return false
	}
	names := make([]string, len(entries)) // the names entries sort by
	for i, e := range entries {
		names[i] = e.Name()
		if e.IsDir() {
			names[i] += "/"
		}
	}
	order := make([]int, len(entries))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(x, y int) int { return cmp.Compare(names[x], names[y]) })
	for _, i := range order {
		e := entries[i]
		if err := ctx.Err(); err != nil {
			yield(storage.ObjectInfo{}, fmt.Errorf("list %s: %w", prefix, err))
			return false
		}
		name := e.Name()
		if strings.HasPrefix(name, tmpPrefix) {
			continue
		}
		key := dirKey + name
		if e.IsDir() {
			sub := key + "/"
			if strings.HasPrefix(sub, prefix) || strings.HasPrefix(prefix, sub) {
				if !b.walk(ctx, sub, prefix, yield) {
					return false
				}
			}
			continue
		}
		if !e.Type().IsRegular() || !strings.HasPrefix(key, prefix) {
			continue
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted since ReadDir
		}
		if err != nil {
			yield(storage.ObjectInfo{}, fmt.Errorf("list %s: %w", prefix, err))
			return false
		}
		if !yield(describe(key, fi), nil) {
			return false
		}
	}
	return true
}
