package backup

import (
	"context"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/layout"
)

// droppingNode is a node that also lists its dropped columns.
type droppingNode struct {
	*fakeNode
	cols []layout.DroppedColumn
}

func (n droppingNode) DroppedColumns(context.Context) ([]layout.DroppedColumn, error) {
	return n.cols, nil
}

// TestDroppedColumnsRecorded: a node that lists its dropped columns gets
// meta/dropped_columns.json; a node that cannot has no such file.
func TestDroppedColumnsRecorded(t *testing.T) {
	e := newEnv(t, "")
	e.mustRun("plain", Full)
	if _, ok := e.st.read(t, e.l.DroppedColumnsKey(fqdn, "plain")); ok {
		t.Error("a node without dropped-column support wrote meta/dropped_columns.json")
	}
	col := layout.DroppedColumn{Keyspace: "ks1", Table: "users", Column: "nick", Type: "text", Kind: "regular", DroppedTime: 42}
	d := e.deps()
	d.Node = droppingNode{fakeNode: e.node, cols: []layout.DroppedColumn{col}}
	if _, err := Run(t.Context(), d, e.opts("dropping", Full)); err != nil {
		t.Fatal(err)
	}
	got, ok := e.st.read(t, e.l.DroppedColumnsKey(fqdn, "dropping"))
	if !ok {
		t.Fatal("no meta/dropped_columns.json")
	}
	cols, err := layout.UnmarshalDroppedColumns([]byte(got))
	if err != nil || len(cols) != 1 || cols[0] != col {
		t.Errorf("recorded %q (%v)", got, err)
	}
	for _, k := range e.st.keys(t, "index/") {
		if strings.Contains(k, "dropped") {
			t.Errorf("index entry %s", k)
		}
	}
}
