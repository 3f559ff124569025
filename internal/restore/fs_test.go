package restore

import (
	"os"
	"path/filepath"
	"testing"
)

// TestFS runs the same operations through DirectFS and through SudoFS
// (with "env" standing in for sudo, so the commands run as this user).
func TestFS(t *testing.T) {
	t.Parallel()
	for name, fs := range map[string]FS{"direct": DirectFS{}, "sudo": SudoFS{Sudo: []string{"env"}}} {
		t.Run(name, func(t *testing.T) {
			ctx, dir := t.Context(), t.TempDir()
			src := filepath.Join(dir, "a", "table-1")
			writeFile(t, filepath.Join(src, "nb-1-big-Data.db"), "data")
			writeFile(t, filepath.Join(src, ".idx", "nb-1-big-Data.db"), "index")
			if err := fs.MkdirAll(ctx, filepath.Join(dir, "b", "ks")); err != nil {
				t.Fatal(err)
			}
			dst := filepath.Join(dir, "b", "ks", "table-1")
			if err := fs.Rename(ctx, src, dst); err != nil {
				t.Fatal(err)
			}
			got := tree(t, dst)
			if got["nb-1-big-Data.db"] != "data" || got[filepath.Join(".idx", "nb-1-big-Data.db")] != "index" || exists(src) {
				t.Fatalf("rename: %v, source exists %v", got, exists(src))
			}
			if err := fs.Rename(ctx, filepath.Join(dir, "b", "ks"), dst); err == nil {
				t.Error("rename onto an existing path succeeded")
			}
			if err := fs.Chown(ctx, dst, os.Getuid(), os.Getgid()); err != nil {
				t.Errorf("chown to the owner: %v", err)
			}
			yaml := filepath.Join(dir, "cassandra.yaml")
			writeFile(t, yaml, "old content that is longer\n")
			if err := os.Chmod(yaml, 0o640); err != nil {
				t.Fatal(err)
			}
			if err := fs.WriteFile(ctx, yaml, []byte("new\n")); err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(yaml); string(b) != "new\n" {
				t.Errorf("write file: %q", b)
			}
			if fi, _ := os.Stat(yaml); fi.Mode().Perm() != 0o640 {
				t.Errorf("write file changed the mode to %v", fi.Mode().Perm())
			}
			if err := fs.RemoveAll(ctx, filepath.Join(dir, "b")); err != nil || exists(dst) {
				t.Errorf("remove all: %v", err)
			}
		})
	}
}

// TestCopyThenRemove is the cross-file-system path of DirectFS.Rename.
func TestCopyThenRemove(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	writeFile(t, filepath.Join(src, "f"), "file")
	writeFile(t, filepath.Join(src, ".sub", "g"), "sub")
	if err := os.Symlink("f", filepath.Join(src, "link")); err != nil {
		t.Fatal(err)
	}
	if err := copyThenRemove(src, dst); err != nil {
		t.Fatal(err)
	}
	got := tree(t, dst)
	if got["f"] != "file" || got[filepath.Join(".sub", "g")] != "sub" || got["link"] != "file" {
		t.Errorf("copied tree: %v", got)
	}
	if exists(src) || exists(filepath.Join(dir, ".dst.medusa-copy")) {
		t.Error("source or temporary copy left behind")
	}
}
