package hygiene

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// repoRoot returns the directory holding go.mod, above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = parent
	}
}

// textFiles returns the repository's source and documentation files,
// relative to root, skipping version-control, build output and go.sum.
func textFiles(t *testing.T, root string) []string {
	t.Helper()
	exts := map[string]bool{".go": true, ".md": true, ".sh": true, ".py": true, ".ini": true,
		".json": true, ".yaml": true, ".yml": true, ".txt": true, ".golden": true}
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "bin" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if exts[filepath.Ext(name)] || name == "Makefile" {
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestNoForeignReferences fails on text that only makes sense on one
// machine or next to documents the repository does not hold: absolute
// paths of a development machine and section citations of an outside
// specification. Cite docs/ (docs/README.md lists the pages) instead.
func TestNoForeignReferences(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	forbidden := []struct{ re, why string }{
		{`/w[o]rk/`, "absolute path of a development machine"},
		{`/root/`, "absolute path of a development machine"},
		{`§`, "section of a document outside the repository; cite docs/ instead"},
		{`medusa\.md`, "document outside the repository; cite docs/ instead"},
	}
	self := filepath.Join("internal", "hygiene", "hygiene_test.go")
	for _, rel := range textFiles(t, root) {
		if rel == self {
			continue
		}
		f, err := os.Open(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for line := 1; sc.Scan(); line++ {
			for _, fb := range forbidden {
				if regexp.MustCompile(fb.re).MatchString(sc.Text()) {
					t.Errorf("%s:%d: %s: %.120s", rel, line, fb.why, strings.TrimSpace(sc.Text()))
				}
			}
		}
		if err := sc.Err(); err != nil {
			t.Errorf("%s: %v", rel, err)
		}
		f.Close()
	}
}

// mdLink matches the target of an inline Markdown link or image.
var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestMarkdownLinksResolve checks every relative link of the Markdown
// files: the file it names exists (anchors are not checked).
func TestMarkdownLinksResolve(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	for _, rel := range textFiles(t, root) {
		if filepath.Ext(rel) != ".md" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mdLink.FindAllStringSubmatch(string(data), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			target, _, _ = strings.Cut(target, "#")
			if _, err := os.Stat(filepath.Join(root, filepath.Dir(rel), target)); err != nil {
				t.Errorf("%s: link to %s: no such file", rel, m[1])
			}
		}
	}
}
