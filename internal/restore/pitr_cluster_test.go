package restore

import (
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/catalog"
)

// A backup of a cluster of two nodes: restoring one node alone to the
// past is refused before anything changes, unless SingleNode.
func TestPITRSingleNodeOfCluster(t *testing.T) {
	f := newPITRFixture(t, 4)
	if err := catalog.WriteStarted(t.Context(), f.store, "", fxBackup, "other.example", []byte(`{}`),
		[]byte("CREATE KEYSPACE ks;"), false, pitrT0/1000); err != nil {
		t.Fatal(err)
	}
	target := time.UnixMilli(pitrT0 + 2_000).UTC()
	_, err := Run(t.Context(), f.deps(), f.pitrOptions(target))
	if err == nil || !strings.Contains(err.Error(), "cluster of 2 nodes") ||
		!strings.Contains(err.Error(), "--pitr-single-node") {
		t.Fatalf("err = %v, want the single-node refusal", err)
	}
	if calls := f.node.Calls(); len(calls) != 0 {
		t.Errorf("node calls %v before the refusal", calls)
	}
	o := f.pitrOptions(target)
	o.PITR.SingleNode = true
	res, err := Run(t.Context(), f.deps(), o)
	if err != nil || res.PITR == nil || res.PITR.Segments != 4 {
		t.Fatalf("with SingleNode: %+v, %v", res, err)
	}
}
