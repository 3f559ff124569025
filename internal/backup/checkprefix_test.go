package backup

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestCheckPrefixRefusal: the prefix check (did the prefix turn encrypted
// during a plain backup?) runs once the meta files are written, before
// any data upload, and again once every object is uploaded, just before
// the manifest. A refusal at either point leaves the backup unfinished: no
// manifest, no index entry.
func TestCheckPrefixRefusal(t *testing.T) {
	for _, refuseAt := range []int{1, 2} {
		t.Run(fmt.Sprintf("refused at check %d", refuseAt), func(t *testing.T) {
			e := newEnv(t, "")
			var seen [][]string
			e.checkPrefix = func(_ context.Context, backup string) error {
				if backup != "b1" {
					t.Errorf("the check was told backup %q, want b1", backup)
				}
				seen = append(seen, e.st.keys(t, e.l.DataPrefix(fqdn, "b1")))
				if _, ok := e.st.read(t, e.l.SchemaKey(fqdn, "b1")); !ok {
					t.Error("the check ran before meta/schema.cql was written")
				}
				if len(seen) == refuseAt {
					return errors.New("the prefix is being encrypted")
				}
				return nil
			}
			_, err := e.run("b1", Full)
			want := map[int]Stage{1: StageMeta, 2: StageManifest}[refuseAt]
			if err == nil || !strings.Contains(err.Error(), "the prefix is being encrypted") || stageOf(t, err) != want {
				t.Fatalf("backup: %v; want the refusal at stage %s", err, want)
			}
			if len(seen) != refuseAt || len(seen[0]) != 0 || (refuseAt == 2 && len(seen[1]) != 4) { // system_traces is not backed up
				t.Errorf("data objects uploaded at each check: %v; want none at the first, all 4 at the second", seen)
			}
			if _, ok := e.st.read(t, e.l.ManifestKey(fqdn, "b1")); ok {
				t.Error("manifest.json written after the refusal")
			}
			for _, k := range e.st.keys(t, e.l.IndexPrefix()) {
				if strings.Contains(k, "finished_") || strings.Contains(k, "latest_backup") {
					t.Errorf("index entry %s written after the refusal", k)
				}
			}
		})
	}
}
