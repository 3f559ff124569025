package testbed

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkVenvMissing builds a virtualenv of the test bed's cache step by
// step (none, bin/<exe> only, another version recorded, the interpreter
// gone) and checks that find refuses each, naming script and version;
// then, with a working interpreter, that find returns bin/<exe>.
func checkVenvMissing(t *testing.T, dir, exe, version, script string, find func() (string, error)) {
	t.Helper()
	cache := t.TempDir()
	t.Setenv("MEDUSA_TESTBED_CACHE", cache)
	venv := filepath.Join(cache, dir)
	write := func(name, content string, mode os.FileMode) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(venv, name), []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name  string
		setup func()
	}{
		{"no venv", func() {}},
		{"install not finished", func() {
			if err := os.MkdirAll(filepath.Join(venv, "bin"), 0o755); err != nil {
				t.Fatal(err)
			}
			write(filepath.Join("bin", exe), "#!/bin/sh\n", 0o755)
		}},
		{"other version", func() { write(".complete", "0.0.1\n", 0o644) }},
		{"interpreter gone", func() {
			write(".complete", version+"\n", 0o644)
			if err := os.Symlink(filepath.Join(cache, "no-such-python"), filepath.Join(venv, "bin", "python")); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, s := range steps { // each step adds to the previous one's venv
		s.setup()
		if _, err := find(); err == nil || !strings.Contains(err.Error(), script) || !strings.Contains(err.Error(), version) {
			t.Errorf("%s: error %v, want one naming %s and %s", s.name, err, script, version)
		}
	}
	if err := os.Remove(filepath.Join(venv, "bin", "python")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/bin/sh", filepath.Join(venv, "bin", "python")); err != nil {
		t.Fatal(err)
	}
	if got, err := find(); err != nil || got != filepath.Join(venv, "bin", exe) {
		t.Errorf("complete venv: %q, %v; want %s", got, err, filepath.Join(venv, "bin", exe))
	}
}
