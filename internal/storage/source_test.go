package storage

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestFileSource(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "nb-1-big-Data.db")
	data := []byte("0123456789")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := OpenFileSource(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	// The file grows after opening: reads stay within the opened size.
	if err := os.WriteFile(path, append(data, "more"...), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		off, n  int64
		want    string
		wantEOF bool
	}{
		{0, 4, "0123", false},
		{6, 4, "6789", false},
		{6, 10, "6789", true},
		{10, 1, "", true},
		{10, 0, "", false},
	}
	for _, tc := range tests {
		buf := make([]byte, tc.n)
		n, err := src.ReadAt(buf, tc.off)
		if string(buf[:n]) != tc.want || (err == io.EOF) != tc.wantEOF || (err != nil && err != io.EOF) {
			t.Errorf("ReadAt(%d at %d) = %q, %v; want %q, EOF %v", tc.n, tc.off, buf[:n], err, tc.want, tc.wantEOF)
		}
	}
	whole, err := io.ReadAll(io.NewSectionReader(src, 0, src.Size()))
	if err != nil || !bytes.Equal(whole, data) || src.Size() != 10 || src.Name() != path {
		t.Errorf("whole = %q, %v; size %d name %s", whole, err, src.Size(), src.Name())
	}
	if _, err := OpenFileSource(filepath.Dir(path)); err == nil {
		t.Error("OpenFileSource of a directory succeeded")
	}
	if _, err := OpenFileSource(path + ".missing"); !os.IsNotExist(err) {
		t.Errorf("OpenFileSource of a missing file: %v", err)
	}
}
