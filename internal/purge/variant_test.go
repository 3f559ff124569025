package purge

import (
	"slices"
	"testing"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
)

// TestOrphansWithVariantDirectories: a differential backup stores content
// that differs from a pool object of the same name in a variant directory
// <table dir>.<tag> (docs/differential-reuse.md). Orphan selection is by
// full key: every referenced key is kept, whichever directory it is in,
// and an unreferenced one is cleaned like any other pool object.
func TestOrphansWithVariantDirectories(t *testing.T) {
	const p = "n1/data/ks/t-1"
	old := testNow.Add(-30 * day)
	pool := []storage.ObjectInfo{
		{Key: p + "/nb-1-big-Data.db", ModTime: old},             // named by backup a
		{Key: p + ".v100/nb-1-big-Data.db", ModTime: old},        // named by backup b
		{Key: p + ".v200/nb-1-big-Data.db", ModTime: old},        // named by no backup
		{Key: p + ".v300/.t_idx/nb-1-big-Data.db", ModTime: old}, // named by backup b
	}
	ref := map[string]bool{}
	Referenced(ref, layout.Manifest{{Keyspace: "ks", ColumnFamily: "t-1",
		Objects: []layout.Object{{Path: p + "/nb-1-big-Data.db"}}}})
	Referenced(ref, layout.Manifest{{Keyspace: "ks", ColumnFamily: "t-1",
		Objects: []layout.Object{{Path: p + ".v100/nb-1-big-Data.db"}, {Path: p + ".v300/.t_idx/nb-1-big-Data.db"}}}})
	plan := SelectOrphans(pool, ref, testNow, 10, false)
	var deleted []string
	for _, o := range plan.Delete {
		deleted = append(deleted, o.Key)
	}
	if want := []string{p + ".v200/nb-1-big-Data.db"}; !slices.Equal(deleted, want) {
		t.Errorf("deleted %v, want %v", deleted, want)
	}
	if len(plan.WithinGrace)+len(plan.Postponed) != 0 {
		t.Errorf("plan %+v", plan)
	}
}
