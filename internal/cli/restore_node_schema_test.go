package cli

import (
	"testing"

	"github.com/medusa-go/medusa/internal/restore"
)

// TestRestoreNodeSchemaFlags: --skip-schema, --schema-only and --truncate
// go with --use-sstableloader only, and not in contradicting pairs.
func TestRestoreNodeSchemaFlags(t *testing.T) {
	for _, tc := range []struct {
		f    restoreFlags
		want restore.SchemaMode
		ok   bool
	}{
		{restoreFlags{sstableloader: true}, restore.SchemaCreate, true},
		{restoreFlags{sstableloader: true, skipSchema: true}, restore.SchemaSkip, true},
		{restoreFlags{sstableloader: true, schemaOnly: true, truncate: true}, restore.SchemaOnly, true},
		{restoreFlags{sstableloader: true, truncate: true}, restore.SchemaCreate, true},
		{restoreFlags{sstableloader: true, skipSchema: true, schemaOnly: true}, 0, false},
		{restoreFlags{sstableloader: true, skipSchema: true, truncate: true}, 0, false},
		{restoreFlags{skipSchema: true}, 0, false},
		{restoreFlags{truncate: true}, 0, false},
	} {
		o, err := tc.f.options()
		if (err == nil) != tc.ok || (tc.ok && (o.Schema != tc.want || o.Truncate != tc.f.truncate)) {
			t.Errorf("%+v: options %v/%v, err %v", tc.f, o.Schema, o.Truncate, err)
		}
	}
}
