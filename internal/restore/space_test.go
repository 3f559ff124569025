package restore

import (
	"strings"
	"testing"
)

// TestSpaceNeeds: the data directory's file system must hold the download
// beside the replaced files. On the temp dir's file system that is the
// temp dir's need, which then names the data directory; on another one it
// is a need of its own, whose error says that another --temp-dir does not
// help.
func TestSpaceNeeds(t *testing.T) {
	t.Parallel()
	type fsys struct{ free, dev uint64 }
	tests := []struct {
		name       string
		fs         map[string]fsys
		wantNeeds  int
		wantErr    []string
		wantNoHint string
	}{
		{"same file system, room", map[string]fsys{"/tmp": {5000, 1}, "/data": {5000, 1}}, 1, nil, ""},
		{"same file system, short", map[string]fsys{"/tmp": {1000, 1}, "/data": {1000, 1}}, 1,
			[]string{"not enough free space in /tmp: needs 4096 bytes (4.00 KB) for the download, 1000 bytes (1000.00 B) free: 3096",
				"that file system also holds the data directory /data", "free some space there or point --temp-dir"}, ""},
		{"other file system, room", map[string]fsys{"/tmp": {5000, 1}, "/data": {5000, 2}}, 2, nil, ""},
		{"other file system, data short", map[string]fsys{"/tmp": {5000, 1}, "/data": {100, 2}}, 2,
			[]string{"not enough free space in /data: needs 4096 bytes (4.00 KB) for the copy into the data directory",
				"100 bytes (100.00 B) free: 3996 bytes", "another --temp-dir does not change that"}, "not enough free space in /tmp"},
		{"other file system, temp short", map[string]fsys{"/tmp": {100, 1}, "/data": {5000, 2}}, 2,
			[]string{"not enough free space in /tmp: needs 4096 bytes (4.00 KB) for the download, 100",
				"point --temp-dir (--download-destination for download) at a file system with room"}, "/data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			space := func(p string) (uint64, uint64, error) { return tt.fs[p].free, tt.fs[p].dev, nil }
			needs, err := spaceNeeds(space, 4096, "/tmp", "/data")
			if err != nil || len(needs) != tt.wantNeeds {
				t.Fatalf("needs %v, %v; want %d", needs, err, tt.wantNeeds)
			}
			err = checkSpace(needs)
			if (err != nil) != (len(tt.wantErr) > 0) {
				t.Fatalf("error %v", err)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
			if tt.wantNoHint != "" && strings.Contains(err.Error(), tt.wantNoHint) {
				t.Errorf("error names %q:\n%v", tt.wantNoHint, err)
			}
		})
	}
}
