package cassandra

import (
	"slices"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/layout"
)

// TestRecreateSchemaReal records a table's dropped columns, drops the
// table and re-creates it from the schema script and the record: the new
// table knows the drops at their original times, the other table of the
// keyspace keeps its id, and a second run does nothing.
func TestRecreateSchemaReal(t *testing.T) {
	n := testNode(t)
	s := testSession(t, testCQLOptions(t, n))
	ctx := t.Context()
	exec := func(stmts ...string) {
		t.Helper()
		for _, q := range stmts {
			if err := s.Query(q).ExecContext(ctx); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	exec(`DROP KEYSPACE IF EXISTS rs_ks`,
		`CREATE KEYSPACE rs_ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
		`CREATE TYPE rs_ks.pt (x int, y int)`,
		`CREATE TABLE rs_ks.t (k int, c int, a text, s int static, PRIMARY KEY (k, c))`,
		`CREATE TABLE rs_ks.other (k int PRIMARY KEY, v text)`,
		`ALTER TABLE rs_ks.t ADD gone text`,
		`ALTER TABLE rs_ks.t ADD gone_static int static`,
		`ALTER TABLE rs_ks.t ADD gone_udt frozen<pt>`,
		`ALTER TABLE rs_ks.t ADD back text`,
		`INSERT INTO rs_ks.t (k, c, a, gone, gone_static, gone_udt, back) VALUES (1, 1, 'a', 'g', 5, {x: 1, y: 2}, 'b')`,
		`ALTER TABLE rs_ks.t DROP gone`,
		`ALTER TABLE rs_ks.t DROP gone_static`,
		`ALTER TABLE rs_ks.t DROP gone_udt`,
		`ALTER TABLE rs_ks.t DROP back`,
		`ALTER TABLE rs_ks.t ADD back text`,
	)
	script, err := s.SchemaCQL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	all, err := s.DroppedColumns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var dropped []layout.DroppedColumn
	for _, d := range all {
		if d.Keyspace == "rs_ks" {
			dropped = append(dropped, d)
		}
	}
	if len(dropped) != 4 {
		t.Fatalf("dropped columns of rs_ks = %+v, want 4", dropped)
	}
	for _, d := range dropped {
		if d.Column == "gone_static" && d.Kind != "static" || d.Column == "gone" && (d.Kind != "regular" || d.Type != "text") {
			t.Errorf("dropped column %+v", d)
		}
	}
	idOf := func(table string) string {
		t.Helper()
		var id string
		if err := s.Query(`SELECT id FROM system_schema.tables WHERE keyspace_name = 'rs_ks' AND table_name = ?`, table).
			ScanContext(ctx, &id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	otherID := idOf("other")
	before, err := s.ReadExistingSchema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	exec(`DROP TABLE rs_ks.t`)

	res, err := s.RecreateSchema(ctx, script, dropped, SchemaSelection{Tables: []string{"rs_ks.t"}})
	if err != nil {
		t.Fatal(err)
	}
	var did []string
	for _, st := range res.Done {
		did = append(did, st.What)
	}
	t.Logf("done: %s", strings.Join(did, "; "))
	if len(res.Done) == 0 || res.Done[0].What != "create table rs_ks.t" || len(res.Done) != 9 {
		t.Errorf("done = %v, want the table created and 4 drops replayed (8 ALTERs)", did)
	}
	if got := idOf("other"); got != otherID {
		t.Errorf("rs_ks.other was re-created: id %s, was %s", got, otherID)
	}
	after, err := s.ReadExistingSchema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"gone", "gone_static", "gone_udt", "back"} {
		if !after.Dropped["rs_ks.t"][c] {
			t.Errorf("re-created rs_ks.t does not know dropped column %s", c)
		}
	}
	if !slices.Equal(sortedKeys(after.Columns["rs_ks.t"]), sortedKeys(before.Columns["rs_ks.t"])) {
		t.Errorf("columns of re-created rs_ks.t = %v, want %v", sortedKeys(after.Columns["rs_ks.t"]),
			sortedKeys(before.Columns["rs_ks.t"]))
	}
	again, err := s.DroppedColumns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range again {
		for _, w := range dropped {
			if d.Keyspace == w.Keyspace && d.Table == w.Table && d.Column == w.Column && d != w {
				t.Errorf("dropped column after re-creation %+v, want %+v", d, w)
			}
		}
	}
	res, err = s.RecreateSchema(ctx, script, dropped, SchemaSelection{Keyspaces: []string{"rs_ks"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Done) != 0 || len(res.Kept) != 2 {
		t.Errorf("second run: done %+v, kept %v; want nothing done, both tables kept", res.Done, res.Kept)
	}
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
