package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/retry"
	"github.com/medusa-go/medusa/internal/storage/storagetest"
)

func newTestBackend(t *testing.T, base string) *Backend {
	t.Helper()
	b, err := New(Options{BasePath: base, Bucket: "bucket", Create: true})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConformance(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	storagetest.Run(t, func(t *testing.T) storage.Backend { return newTestBackend(t, base) },
		storagetest.Capabilities{
			ExpectedHash:    storagetest.HexMD5,
			StatWithoutHash: true,
			Resume: func(b storage.Backend) storage.Backend {
				return retry.New(b, retry.Policy{BaseDelay: time.Millisecond})
			},
			MissingBucket: func(t *testing.T) storage.Backend {
				b, err := New(Options{BasePath: base, Bucket: "no-such-bucket"})
				if err != nil {
					t.Fatal(err)
				}
				return b
			},
		})
	// Nothing but the bucket directory is left: no temporary files, no
	// empty directories.
	var left []string
	filepath.WalkDir(base, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		left = append(left, path)
		return nil
	})
	if want := []string{base, filepath.Join(base, "bucket")}; !slices.Equal(left, want) {
		t.Errorf("after the suite the base directory holds %q, want %q", left, want)
	}
}

func TestLayoutIsMedusas(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	b := newTestBackend(t, base)
	key := "node1/backup1/data/ks/tbl-1d4f2e00/.tbl_idx/nb-1-big-Data.db"
	info, err := b.Put(t.Context(), key, strings.NewReader("sstable"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(base, "bucket", filepath.FromSlash(key)))
	if err != nil || string(data) != "sstable" {
		t.Fatalf("file of %q: %q, %v", key, data, err)
	}
	if want := "ec2ed2b99fed14645a8eb0b97cd29ca6"; info.Hash != want { // md5sum of "sstable"
		t.Errorf("Put hash = %q, want hex MD5 %q", info.Hash, want)
	}
	fi, err := os.Stat(filepath.Join(base, "bucket", filepath.FromSlash(key)))
	if err != nil || fi.Mode().Perm() != fileMode {
		t.Errorf("mode of the object file: %v, %v; want %v", fi.Mode(), err, os.FileMode(fileMode))
	}
	entries, err := os.ReadDir(filepath.Dir(filepath.Join(base, "bucket", filepath.FromSlash(key))))
	if err != nil || len(entries) != 1 {
		t.Errorf("directory of the object holds %d entries (%v), want only the object", len(entries), err)
	}
}

func TestInvalidKeys(t *testing.T) {
	t.Parallel()
	b := newTestBackend(t, t.TempDir())
	for _, key := range []string{"", "/abs", "a//b", "a/", "./a", "a/./b", "../escape", "a/../../b", "a/..", "nul\x00", "a/.medusa-tmp-123"} {
		t.Run(key, func(t *testing.T) {
			if _, err := b.Put(t.Context(), key, bytes.NewReader(nil)); !errors.Is(err, errInvalidKey) {
				t.Errorf("Put(%q) error = %v, want invalid key", key, err)
			}
			if _, err := b.Stat(t.Context(), key); !errors.Is(err, errInvalidKey) {
				t.Errorf("Stat(%q) error = %v, want invalid key", key, err)
			}
			if _, _, err := b.Get(t.Context(), key, 0, -1); !errors.Is(err, errInvalidKey) {
				t.Errorf("Get(%q) error = %v, want invalid key", key, err)
			}
			if err := b.Delete(t.Context(), key); !errors.Is(err, errInvalidKey) {
				t.Errorf("Delete(%q) error = %v, want invalid key", key, err)
			}
		})
	}
	for _, prefix := range []string{"../", "/", "a//", "a/../"} {
		for info, err := range b.List(t.Context(), prefix) {
			t.Errorf("List(%q) yielded %+v, %v; want nothing", prefix, info, err)
		}
	}
}

func TestListSkipsTempFiles(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	b := newTestBackend(t, base)
	if _, err := b.Put(t.Context(), "d/real", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	// A temporary file left by a crash in the middle of a Put.
	if err := os.WriteFile(filepath.Join(b.Root(), "d", tmpPrefix+"42"), []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for info, err := range b.List(t.Context(), "") {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, info.Key)
	}
	if !slices.Equal(keys, []string{"d/real"}) {
		t.Errorf("List = %q, want [d/real]", keys)
	}
}

func TestBucketDirectory(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	tests := []struct {
		name    string
		opts    Options
		wantErr bool
		wantDir bool
	}{
		{"create", Options{BasePath: base, Bucket: "made", Create: true}, false, true},
		{"no create", Options{BasePath: base, Bucket: "absent"}, false, false},
		{"no base path", Options{Bucket: "b"}, true, false},
		{"no bucket", Options{BasePath: base}, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := New(tc.opts)
			if (err != nil) != tc.wantErr {
				t.Fatalf("New error = %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			_, statErr := os.Stat(filepath.Join(base, tc.opts.Bucket))
			if (statErr == nil) != tc.wantDir {
				t.Errorf("bucket directory exists = %v, want %v", statErr == nil, tc.wantDir)
			}
			_, err = b.Put(t.Context(), "k", strings.NewReader("v"))
			if tc.wantDir != (err == nil) || (!tc.wantDir && !errors.Is(err, storage.ErrBucketNotExist)) {
				t.Errorf("Put error = %v (bucket directory present: %v)", err, tc.wantDir)
			}
		})
	}
}

func TestKeyAndDirectoryConflict(t *testing.T) {
	t.Parallel()
	b := newTestBackend(t, t.TempDir())
	ctx := t.Context()
	if _, err := b.Put(ctx, "a/b", strings.NewReader("file")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Put(ctx, "a/b/c", strings.NewReader("below a file")); err == nil || errors.Is(err, storage.ErrNotExist) {
		t.Errorf("Put below an object: error %v, want a plain error", err)
	}
	if err := b.Delete(ctx, "a"); err != nil {
		t.Errorf("Delete of a directory name: %v, want nil (not an object)", err)
	}
	if _, err := b.Stat(ctx, "a/b"); err != nil {
		t.Errorf("object gone after deleting its directory name: %v", err)
	}
}

// TestConcurrentPutDelete races Puts and Deletes in the same directories:
// Delete removes directories it empties, Put must still always succeed.
func TestConcurrentPutDelete(t *testing.T) {
	t.Parallel()
	b := newTestBackend(t, t.TempDir())
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 200 {
				key := fmt.Sprintf("n/%d/data/ks/t/f-%d", i%3, w)
				if _, err := b.Put(t.Context(), key, strings.NewReader(key)); err != nil {
					t.Errorf("Put(%s): %v", key, err)
					return
				}
				if err := b.Delete(t.Context(), key); err != nil {
					t.Errorf("Delete(%s): %v", key, err)
					return
				}
			}
		})
	}
	wg.Wait()
	entries, err := os.ReadDir(b.Root())
	if err != nil || len(entries) != 0 {
		t.Errorf("bucket directory holds %d entries after all deletes (%v), want none", len(entries), err)
	}
}

func TestCancelledPutRemovesItsDirectories(t *testing.T) {
	t.Parallel()
	b := newTestBackend(t, t.TempDir())
	ctx, cancel := context.WithCancel(t.Context())
	src := &cancelSource{Source: storagetest.Pattern{N: 8 << 20}, cancel: cancel}
	if _, err := b.Put(ctx, "x/y/z/file", src); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put error = %v, want context.Canceled", err)
	}
	entries, err := os.ReadDir(b.Root())
	if err != nil || len(entries) != 0 {
		t.Errorf("bucket directory holds %d entries after a cancelled Put (%v), want none", len(entries), err)
	}
}

// cancelSource cancels its context on the first read.
type cancelSource struct {
	storage.Source
	cancel context.CancelFunc
}

func (s *cancelSource) ReadAt(p []byte, off int64) (int, error) {
	s.cancel()
	return s.Source.ReadAt(p, off)
}
