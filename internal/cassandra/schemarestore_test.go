package cassandra

import (
	"slices"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/layout"
)

// testSchema mixes the server's DESCRIBE output and the Python driver's
// export: comment blocks, a function body with semicolons, quoted names,
// nested user types, an index without IF NOT EXISTS, an SAI index and a
// view.
const testSchema = `/*
Warning: Keyspace system_views is a virtual keyspace and cannot be recreated with CQL.
Structure, for reference:
VIRTUAL KEYSPACE system_views;
*/

CREATE KEYSPACE system_auth WITH replication = {'class': 'SimpleStrategy', 'replication_factor': '1'}  AND durable_writes = true;

CREATE TABLE system_auth.roles (
    role text PRIMARY KEY,
    can_login boolean
) WITH comment = 'role definitions; with a semicolon';

CREATE KEYSPACE shop WITH replication = {'class': 'SimpleStrategy', 'replication_factor': '1'}  AND durable_writes = true;

CREATE TYPE shop.address (
    street text,
    zip int
);

CREATE TYPE shop.wrap (
    a frozen<address>,
    b text
);

CREATE TYPE shop.unused (
    x int
);

CREATE FUNCTION shop.twice(x int)
    RETURNS NULL ON NULL INPUT
    RETURNS int
    LANGUAGE java
    AS $$int y = x * 2;
return y;$$;

CREATE TABLE shop.users (
    id int,
    c int,
    home frozen<wrap>,
    tags map<text, frozen<list<int>>>,
    "Quoted" text,
    s int static,
    PRIMARY KEY (id, c)
) WITH CLUSTERING ORDER BY (c DESC)
    AND comment = 'it''s; here';

CREATE INDEX users_tags_idx ON shop.users (values(tags));

CREATE CUSTOM INDEX users_quoted_sai ON shop.users ("Quoted") USING 'sai';

CREATE MATERIALIZED VIEW shop.users_by_c AS
    SELECT *
    FROM shop.users
    WHERE c IS NOT NULL AND id IS NOT NULL
    PRIMARY KEY (c, id);

CREATE TABLE shop.other (
    k int PRIMARY KEY,
    v text
);

CREATE KEYSPACE "Logs" WITH replication = {'class': 'SimpleStrategy', 'replication_factor': '1'}  AND durable_writes = true;

CREATE TABLE "Logs"."Lines" (
    k int PRIMARY KEY
);`

func TestParseSchema(t *testing.T) {
	objs, err := ParseSchema(testSchema)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, string(o.Kind)+" "+o.QualifiedName()+" "+o.Table)
	}
	want := []string{
		"keyspace system_auth ", "table system_auth.roles ",
		"keyspace shop ", "type shop.address ", "type shop.wrap ", "type shop.unused ", "function shop.twice ",
		"table shop.users ", "index shop.users_tags_idx users", "index shop.users_quoted_sai users",
		"materialized view shop.users_by_c users", "table shop.other ",
		"keyspace Logs ", "table Logs.Lines ",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("objects:\n got %q\nwant %q", got, want)
	}
	users := objs[7]
	var cols []string
	for _, c := range users.Columns {
		cols = append(cols, c.Name+":"+c.Type+map[bool]string{true: ":static"}[c.Static])
	}
	wantCols := []string{"id:int", "c:int", "home:frozen<wrap>", "tags:map<text, frozen<list<int>>>",
		"Quoted:text", "s:int:static"}
	if !slices.Equal(cols, wantCols) {
		t.Errorf("columns %q, want %q", cols, wantCols)
	}
	if !strings.HasPrefix(users.IfNotExists(), "CREATE TABLE IF NOT EXISTS shop.users (") {
		t.Errorf("IfNotExists: %s", users.IfNotExists())
	}
	if f := objs[6]; !strings.Contains(f.Stmt, "return y;$$") || f.IfNotExists() != "CREATE FUNCTION IF NOT EXISTS"+f.Stmt[len("CREATE FUNCTION"):] {
		t.Errorf("function statement %q", f.IfNotExists())
	}
	if i := objs[9]; !strings.HasPrefix(i.IfNotExists(), "CREATE CUSTOM INDEX IF NOT EXISTS users_quoted_sai ON") {
		t.Errorf("index: %s", i.IfNotExists())
	}
	for _, bad := range []string{"CREATE TABLE shop.t (k int PRIMARY KEY", "CREATE TABLE t (k int PRIMARY KEY);",
		"CREATE KEYSPACE x WITH replication = {'class': 'S"} {
		if _, err := ParseSchema(bad); err == nil {
			t.Errorf("ParseSchema(%q) succeeded", bad)
		}
	}
}

func emptyCluster() ExistingSchema {
	return ExistingSchema{Keyspaces: map[string]bool{"system_auth": true}, Types: map[string]bool{},
		Functions: map[string]bool{}, Aggregates: map[string]bool{}, Tables: map[string]bool{"system_auth.roles": true},
		Views: map[string]bool{}, Indexes: map[string]bool{}, Columns: map[string]map[string]bool{},
		Dropped: map[string]map[string]bool{}}
}

func whats(p SchemaPlan) []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, s.What)
	}
	return out
}

var testDropped = []layout.DroppedColumn{
	{Keyspace: "shop", Table: "users", Column: "gone", Type: "frozen<tuple<text, int>>", Kind: "regular", DroppedTime: 1700000000123000},
	{Keyspace: "shop", Table: "users", Column: "s", Type: "int", Kind: "static", DroppedTime: 1700000000456000},
	{Keyspace: "shop", Table: "other", Column: "old", Type: "text", Kind: "regular", DroppedTime: 1700000000789000},
}

func TestPlanSchemaEverything(t *testing.T) {
	p, err := PlanSchema(testSchema, testDropped, emptyCluster(), SchemaSelection{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"create keyspace shop", "create keyspace Logs",
		"create type shop.address", "create type shop.wrap", "create type shop.unused",
		"create function shop.twice",
		"create table shop.users",
		"add dropped column shop.users.gone", "replay the drop of column shop.users.gone",
		"replay the drop of column shop.users.s", "add column shop.users.s back",
		"create table shop.other",
		"add dropped column shop.other.old", "replay the drop of column shop.other.old",
		"create table Logs.Lines",
		"create index shop.users_tags_idx", "create index shop.users_quoted_sai",
		"create materialized view shop.users_by_c",
	}
	if got := whats(p); !slices.Equal(got, want) {
		t.Fatalf("steps:\n got %q\nwant %q", got, want)
	}
	stmts := map[string]string{}
	for _, s := range p.Steps {
		stmts[s.What] = s.Stmt
	}
	for what, stmt := range map[string]string{
		"add dropped column shop.users.gone":        `ALTER TABLE "shop"."users" ADD "gone" frozen<tuple<text, int>>`,
		"replay the drop of column shop.users.gone": `ALTER TABLE "shop"."users" DROP "gone" USING TIMESTAMP 1700000000123000`,
		"replay the drop of column shop.users.s":    `ALTER TABLE "shop"."users" DROP "s" USING TIMESTAMP 1700000000456000`,
		"add column shop.users.s back":              `ALTER TABLE "shop"."users" ADD "s" int static`,
	} {
		if stmts[what] != stmt {
			t.Errorf("%s: %q, want %q", what, stmts[what], stmt)
		}
	}
	if !strings.HasPrefix(stmts["create keyspace Logs"], `CREATE KEYSPACE IF NOT EXISTS "Logs" WITH`) {
		t.Errorf("keyspace statement %q", stmts["create keyspace Logs"])
	}
	for _, s := range p.Steps {
		if strings.Contains(s.Stmt, "system_auth") || strings.HasPrefix(s.Stmt, "DROP") {
			t.Errorf("step touches a system keyspace or drops: %+v", s)
		}
	}
}

func TestPlanSchemaOneTable(t *testing.T) {
	have := emptyCluster()
	have.Keyspaces["shop"] = true
	have.Types["shop.address"] = true
	have.Tables["shop.other"] = true
	p, err := PlanSchema(testSchema, testDropped, have, SchemaSelection{Tables: []string{"shop.users"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"create type shop.wrap", "create table shop.users",
		"add dropped column shop.users.gone", "replay the drop of column shop.users.gone",
		"replay the drop of column shop.users.s", "add column shop.users.s back",
		"create index shop.users_tags_idx", "create index shop.users_quoted_sai",
		"create materialized view shop.users_by_c",
	}
	if got := whats(p); !slices.Equal(got, want) {
		t.Fatalf("steps:\n got %q\nwant %q", got, want)
	}
	if len(p.Kept) != 0 {
		t.Errorf("kept %v", p.Kept)
	}
	if _, err := PlanSchema(testSchema, nil, have, SchemaSelection{Tables: []string{"shop.nope"}}); err == nil ||
		!strings.Contains(err.Error(), "shop.nope") {
		t.Errorf("unknown table: %v", err)
	}
}

func TestPlanSchemaExistingTables(t *testing.T) {
	have := emptyCluster()
	have.Keyspaces["shop"] = true
	for _, ty := range []string{"address", "wrap", "unused"} {
		have.Types["shop."+ty] = true
	}
	have.Functions["shop.twice"] = true
	have.Tables["shop.users"], have.Tables["shop.other"] = true, true
	have.Views["shop.users_by_c"] = true
	have.Indexes["shop.users_tags_idx"], have.Indexes["shop.users_quoted_sai"] = true, true
	have.Columns["shop.users"] = map[string]bool{"id": true, "c": true, "home": true, "tags": true, "Quoted": true, "s": true}
	have.Dropped["shop.users"] = map[string]bool{"gone": true}
	have.Columns["shop.other"] = map[string]bool{"k": true, "v": true}
	sel := SchemaSelection{Keyspaces: []string{"shop"}, Truncate: true}
	p, err := PlanSchema(testSchema, testDropped, have, sel)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"truncate table shop.users", "truncate table shop.other",
		"add dropped column shop.other.old", "replay the drop of column shop.other.old"}
	if got := whats(p); !slices.Equal(got, want) {
		t.Fatalf("steps:\n got %q\nwant %q", got, want)
	}
	if !slices.Equal(p.Kept, []string{"shop.users", "shop.other", "shop.users_by_c"}) {
		t.Errorf("kept %v", p.Kept)
	}
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "shop.users.s") {
		t.Errorf("warnings %q, want one about the re-added column s", p.Warnings)
	}
	// Run again once the drop is recorded: nothing left but the truncates.
	have.Dropped["shop.other"] = map[string]bool{"old": true}
	sel.Truncate = false
	if p, err = PlanSchema(testSchema, testDropped, have, sel); err != nil || len(p.Steps) != 0 {
		t.Errorf("second plan: %q, %v; want nothing to do", whats(p), err)
	}
	// A table lacking a column of the backup cannot be loaded.
	delete(have.Columns["shop.other"], "v")
	if _, err := PlanSchema(testSchema, nil, have, sel); err == nil || !strings.Contains(err.Error(), "v text") {
		t.Errorf("missing column: %v", err)
	}
}
