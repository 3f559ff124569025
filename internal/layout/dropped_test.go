package layout

import (
	"reflect"
	"strings"
	"testing"
)

func TestDroppedColumnsRoundTrip(t *testing.T) {
	cols := []DroppedColumn{
		{Keyspace: "ks", Table: "t", Column: "z", Type: "text", Kind: "regular", DroppedTime: 1700000000123000},
		{Keyspace: "ks", Table: "t", Column: "a", Type: "frozen<tuple<int, text>>", Kind: "static", DroppedTime: 1},
	}
	data, err := MarshalDroppedColumns(cols)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"dropped_time": 1700000000123000`) || strings.Index(string(data), `"a"`) > strings.Index(string(data), `"z"`) {
		t.Errorf("rendered:\n%s", data)
	}
	got, err := UnmarshalDroppedColumns(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, []DroppedColumn{cols[1], cols[0]}) {
		t.Errorf("round trip: %+v", got)
	}
	if empty, _ := MarshalDroppedColumns(nil); string(empty) != "[]" {
		t.Errorf("no dropped column: %s", empty)
	}
	if _, err := UnmarshalDroppedColumns([]byte(`[{"keyspace": "ks", "table": "t"}]`)); err == nil {
		t.Error("an entry without column and type was accepted")
	}
	if got := (Layout{}).DroppedColumnsKey("n1", "b"); got != "n1/b/meta/dropped_columns.json" {
		t.Errorf("key %s", got)
	}
}
