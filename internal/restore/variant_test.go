package restore

import (
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/layout"
)

// TestTableFilesInVariantDirectories: a differential backup may name
// objects in a variant directory <table dir>.<tag> of the pool
// (docs/differential-reuse.md); they are placed in the table directory
// like the others, and escapes are still refused.
func TestTableFilesInVariantDirectories(t *testing.T) {
	for _, tc := range []struct {
		path, rel, err string
	}{
		{"n/data/ks/t-1.v1700000000/nb-1-big-Data.db", "nb-1-big-Data.db", ""},
		{"n/data/ks/t-1.v1700000000-1/.t_idx/nb-1-big-Data.db", ".t_idx/nb-1-big-Data.db", ""},
		{"n/data/ks/t-1.v1/../../x", "", "unexpected path"},
		{"n/data/ks/t-1.v1/../x", "", "unsafe"},
		{"n/data/ks/t-1x/nb-1-big-Data.db", "", "is not under"},
	} {
		files, err := tableFiles(layout.Section{Keyspace: "ks", ColumnFamily: "t-1",
			Objects: []layout.Object{{Path: tc.path, Size: 1}}})
		if (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("tableFiles(%q) = %v, want %q", tc.path, err, tc.err)
			continue
		}
		if err == nil && (len(files) != 1 || files[0].Rel != tc.rel) {
			t.Errorf("tableFiles(%q) = %+v, want %s", tc.path, files, tc.rel)
		}
	}
}
