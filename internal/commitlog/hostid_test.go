package commitlog

import (
	"os"
	"path/filepath"
	"testing"
)

func TestHostIDFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if got := ReadHostID(dir); got != "" {
		t.Errorf("no file: ReadHostID = %q", got)
	}
	const id = "5b6962dd-3f90-4c93-8f61-eabfa4a803e2"
	if err := WriteHostID(dir, id); err != nil {
		t.Fatal(err)
	}
	if got := ReadHostID(dir); got != id {
		t.Errorf("ReadHostID = %q, want %q", got, id)
	}
	if err := WriteHostID(dir, "not-a-uuid"); err == nil {
		t.Error("WriteHostID accepted a value that is not a UUID")
	}
	if err := os.WriteFile(filepath.Join(dir, HostIDFile), []byte("garbage\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := ReadHostID(dir); got != "" {
		t.Errorf("garbage file: ReadHostID = %q, want empty", got)
	}
}
