package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommandsRecoverFirst: restore-node and download into the data
// directory look for what interrupted restores left before doing
// anything, and say it.
func TestCommandsRecoverFirst(t *testing.T) {
	f, data := restoreCLIFixture(t)
	left := filepath.Join(data, ".medusa-aside-killed")
	if err := os.MkdirAll(filepath.Join(left, "ks", "t-1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(left, "ks", "t-1", "nb-1-big-Data.db"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(data, "download")
	if err := os.Mkdir(dest, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"restore-node", "--backup-name", "b2", "--keyspace", "nope", "--temp-dir", t.TempDir()},
		{"download", "--backup-name", "b2", "--download-destination", dest},
	} {
		stdout, stderr, _ := f.run(t, nil, args...)
		if want := "Recovery: 1 moved-aside directories of earlier restores have no journal and were kept"; !strings.Contains(stderr+stdout, want) ||
			!strings.Contains(stderr+stdout, "rm -rf "+left) {
			t.Errorf("%s: output lacks %q:\n%s%s", args[0], want, stdout, stderr)
		}
	}
	if _, err := os.Stat(left); err != nil {
		t.Errorf("the leftover was removed: %v", err)
	}
}
