package cassandra

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/medusa-go/medusa/internal/layout"
)

// SchemaSelection says which part of a backup's schema RecreateSchema
// creates. Keyspaces whose name starts with "system" are never touched.
type SchemaSelection struct {
	// Keyspaces and Tables ("keyspace.table") select what is restored, as
	// restore-node's --keyspace and --table do; both empty selects every
	// non-system keyspace. A selected table brings its keyspace, the user
	// types it uses, its indexes and its materialized views; a selected
	// keyspace brings every object of it.
	Keyspaces []string
	Tables    []string
	// Truncate empties the selected tables that exist already (tables
	// RecreateSchema creates are empty). TRUNCATE needs every node of the
	// cluster up and, with auto_snapshot (the default), leaves a snapshot
	// of the old data on every node.
	Truncate bool
}

func (f SchemaSelection) all() bool { return len(f.Keyspaces) == 0 && len(f.Tables) == 0 }

func (f SchemaSelection) keyspace(ks string) bool {
	return !strings.HasPrefix(ks, "system") && (f.all() || slices.Contains(f.Keyspaces, ks))
}

func (f SchemaSelection) table(ks, t string) bool {
	return !strings.HasPrefix(ks, "system") && (f.keyspace(ks) || slices.Contains(f.Tables, ks+"."+t))
}

// ExistingSchema is what the cluster's schema holds now (system_schema).
// Names are "keyspace" or "keyspace.name".
type ExistingSchema struct {
	Keyspaces, Types, Functions, Aggregates, Tables, Views, Indexes map[string]bool
	// Columns and Dropped are the live and the dropped columns of each
	// table ("keyspace.table" -> column names).
	Columns, Dropped map[string]map[string]bool
}

// SchemaStep is one statement RecreateSchema runs.
type SchemaStep struct {
	// What is a short description: "create table ks.t", "replay the drop
	// of column ks.t.c", "truncate ks.t".
	What string
	Stmt string
	// Optional steps (functions, aggregates) are reported when they fail
	// but do not stop the restore: no table depends on them.
	Optional bool
}

// SchemaPlan is what RecreateSchema does, or would do.
type SchemaPlan struct {
	Steps []SchemaStep
	// Kept are the selected tables and views that exist already: they are
	// neither dropped nor altered (their own dropped-column records stay).
	Kept []string
	// Warnings name what could make the load fail or resurrect dropped
	// data, with what to do.
	Warnings []string
}

// SchemaResult is what RecreateSchema did.
type SchemaResult struct {
	SchemaPlan
	// Done are the steps that ran; Failed the optional ones that failed,
	// each with its error.
	Done   []SchemaStep
	Failed []string
}

// PlanSchema computes the statements that make the selected part of a
// backup's schema (script: meta/schema.cql) exist in the cluster, given
// what exists now and the columns dropped before the backup (nil for a
// backup that did not record them). It never drops anything:
//
//   - missing keyspaces, user types, functions, aggregates, tables,
//     indexes and materialized views are created (in that order, with IF
//     NOT EXISTS), objects that exist are left as they are;
//   - for every table it creates, the backup's dropped columns are
//     replayed: a column dropped for good is added and dropped again at
//     its original drop time (ALTER TABLE ... ADD, then ALTER TABLE ...
//     DROP ... USING TIMESTAMP), a column dropped then added again is
//     dropped at its drop time and added back. Cassandra then skips the
//     dropped cells of the backed-up SSTables instead of refusing them
//     ("Unknown column ... during deserialization");
//   - for a table that exists, a dropped column of the backup that the
//     table knows neither as a column nor as a dropped one is replayed the
//     same way (adding then dropping a column that holds nothing changes
//     no data); a column of the backup the table lacks is an error;
//   - with Truncate, the selected tables that exist are truncated.
func PlanSchema(script string, dropped []layout.DroppedColumn, have ExistingSchema, sel SchemaSelection) (SchemaPlan, error) {
	objs, err := ParseSchema(script)
	if err != nil {
		return SchemaPlan{}, err
	}
	var plan SchemaPlan
	// Which objects are selected.
	tables := map[string]SchemaObject{}
	needTypes := map[string]bool{} // ks.type
	typesByKS := map[string][]SchemaObject{}
	needKS := map[string]bool{}
	for _, k := range sel.Keyspaces {
		if !strings.HasPrefix(k, "system") {
			needKS[k] = true
		}
	}
	for _, o := range objs {
		switch o.Kind {
		case KindType:
			typesByKS[o.Keyspace] = append(typesByKS[o.Keyspace], o)
		case KindTable:
			tables[o.QualifiedName()] = o
		}
	}
	selected := func(o SchemaObject) bool {
		switch o.Kind {
		case KindKeyspace:
			return needKS[o.Keyspace]
		case KindType:
			return sel.keyspace(o.Keyspace) || needTypes[o.QualifiedName()]
		case KindFunction, KindAggregate:
			return sel.keyspace(o.Keyspace)
		case KindTable:
			return sel.table(o.Keyspace, o.Name)
		case KindIndex:
			return sel.table(o.Keyspace, o.Table)
		case KindView:
			return sel.table(o.Keyspace, o.Table) || sel.table(o.Keyspace, o.Name)
		}
		return false
	}
	// Keyspaces and user types the selected tables and views need.
	for _, o := range objs {
		if o.Kind == KindOther || o.Kind == KindKeyspace || !selected(o) {
			continue
		}
		needKS[o.Keyspace] = true
		if o.Kind == KindTable || o.Kind == KindView {
			addTypeRefs(o.Keyspace, o.TypeRefs, typesByKS, needTypes)
		}
	}
	for ks := range needKS {
		if !slices.ContainsFunc(objs, func(o SchemaObject) bool { return o.Kind == KindKeyspace && o.Keyspace == ks }) &&
			!have.Keyspaces[ks] {
			return SchemaPlan{}, fmt.Errorf("keyspace %s is selected but the backup's schema has no CREATE KEYSPACE for it", ks)
		}
	}
	for _, t := range sel.Tables {
		if _, ok := tables[t]; !ok && !strings.HasPrefix(t, "system") {
			if !slices.ContainsFunc(objs, func(o SchemaObject) bool { return o.Kind == KindView && o.QualifiedName() == t }) {
				return SchemaPlan{}, fmt.Errorf("table %s is selected but the backup's schema has no CREATE TABLE for it", t)
			}
		}
	}
	droppedBy := map[string][]layout.DroppedColumn{}
	for _, d := range dropped {
		droppedBy[d.Keyspace+"."+d.Table] = append(droppedBy[d.Keyspace+"."+d.Table], d)
	}
	exists := func(o SchemaObject) bool {
		q := o.QualifiedName()
		switch o.Kind {
		case KindKeyspace:
			return have.Keyspaces[o.Keyspace]
		case KindType:
			return have.Types[q]
		case KindFunction:
			return have.Functions[q]
		case KindAggregate:
			return have.Aggregates[q]
		case KindTable:
			return have.Tables[q]
		case KindView:
			return have.Views[q]
		case KindIndex:
			return o.Name != "" && have.Indexes[q]
		}
		return true
	}
	order := []ObjectKind{KindKeyspace, KindType, KindFunction, KindAggregate, KindTable, KindIndex, KindView}
	var truncate []SchemaStep
	for _, kind := range order {
		for _, o := range objs {
			if o.Kind != kind || !selected(o) {
				continue
			}
			q := o.QualifiedName()
			if kind == KindIndex && o.Name == "" {
				q = o.Keyspace + "." + o.Table + " (unnamed index)"
			}
			if exists(o) {
				switch kind {
				case KindTable:
					plan.Kept = append(plan.Kept, q)
					steps, warns, err := existingTable(o, droppedBy[q], have)
					if err != nil {
						return SchemaPlan{}, err
					}
					plan.Steps = append(plan.Steps, steps...)
					plan.Warnings = append(plan.Warnings, warns...)
					if sel.Truncate {
						truncate = append(truncate, SchemaStep{What: "truncate table " + q,
							Stmt: "TRUNCATE TABLE " + quoteIdent(o.Keyspace) + "." + quoteIdent(o.Name)})
					}
				case KindView:
					plan.Kept = append(plan.Kept, q)
				}
				continue
			}
			plan.Steps = append(plan.Steps, SchemaStep{What: "create " + string(kind) + " " + q, Stmt: o.IfNotExists(),
				Optional: kind == KindFunction || kind == KindAggregate})
			if kind == KindTable {
				plan.Steps = append(plan.Steps, replayDrops(o, droppedBy[q])...)
			}
		}
	}
	plan.Steps = append(truncate, plan.Steps...)
	return plan, nil
}

// addTypeRefs marks the user types of keyspace ks named in refs, and the
// types those use, as needed.
func addTypeRefs(ks string, refs []string, typesByKS map[string][]SchemaObject, need map[string]bool) {
	for _, r := range refs {
		for _, t := range typesByKS[ks] {
			if t.Name == r && !need[t.QualifiedName()] {
				need[t.QualifiedName()] = true
				addTypeRefs(ks, t.TypeRefs, typesByKS, need)
			}
		}
	}
}

func alterTable(o SchemaObject) string {
	return "ALTER TABLE " + quoteIdent(o.Keyspace) + "." + quoteIdent(o.Name)
}

func addColumn(o SchemaObject, col, typ string, static bool) string {
	s := alterTable(o) + " ADD " + quoteIdent(col) + " " + typ
	if static {
		s += " static"
	}
	return s
}

func dropColumn(o SchemaObject, d layout.DroppedColumn) string {
	return fmt.Sprintf("%s DROP %s USING TIMESTAMP %d", alterTable(o), quoteIdent(d.Column), d.DroppedTime)
}

// replayDrops returns the statements that record the dropped columns
// drops of table o, just created from the backup's schema.
func replayDrops(o SchemaObject, drops []layout.DroppedColumn) []SchemaStep {
	var steps []SchemaStep
	for _, d := range drops {
		what := "replay the drop of column " + o.QualifiedName() + "." + d.Column
		if i := slices.IndexFunc(o.Columns, func(c ColumnDef) bool { return c.Name == d.Column }); i >= 0 {
			// Dropped, then added again: drop at the old time, add back.
			c := o.Columns[i]
			steps = append(steps,
				SchemaStep{What: what, Stmt: dropColumn(o, d)},
				SchemaStep{What: "add column " + o.QualifiedName() + "." + c.Name + " back", Stmt: addColumn(o, c.Name, c.Type, c.Static)})
			continue
		}
		steps = append(steps,
			SchemaStep{What: "add dropped column " + o.QualifiedName() + "." + d.Column, Stmt: addColumn(o, d.Column, d.Type, d.Kind == "static")},
			SchemaStep{What: what, Stmt: dropColumn(o, d)})
	}
	return steps
}

// existingTable checks a table that exists against the backup's
// definition: it must have every column of the backup (or know it as
// dropped); the backup's dropped columns it knows nothing of are replayed.
func existingTable(o SchemaObject, drops []layout.DroppedColumn, have ExistingSchema) ([]SchemaStep, []string, error) {
	q := o.QualifiedName()
	live, gone := have.Columns[q], have.Dropped[q]
	if live == nil {
		return nil, nil, nil // columns unknown (not read): nothing to check
	}
	var missing []string
	for _, c := range o.Columns {
		if !live[c.Name] && !gone[c.Name] {
			missing = append(missing, c.Name+" "+c.Type)
		}
	}
	if len(missing) > 0 {
		return nil, nil, fmt.Errorf("table %s exists without the column(s) %s that the backup has: the load would fail; "+
			"add them (ALTER TABLE %s ADD ...) or drop the table so the restore creates it", q, strings.Join(missing, ", "), q)
	}
	var steps []SchemaStep
	var warns []string
	for _, d := range drops {
		switch {
		case gone[d.Column]:
		case live[d.Column]:
			warns = append(warns, fmt.Sprintf("column %s.%s was dropped before the backup but exists in the table now: "+
				"the backup's cells written before the drop come back with the load", q, d.Column))
		default:
			steps = append(steps,
				SchemaStep{What: "add dropped column " + q + "." + d.Column, Stmt: addColumn(o, d.Column, d.Type, d.Kind == "static")},
				SchemaStep{What: "replay the drop of column " + q + "." + d.Column, Stmt: dropColumn(o, d)})
		}
	}
	return steps, warns, nil
}

// ReadExistingSchema reads the cluster's keyspaces, types, functions,
// aggregates, tables, views, indexes, columns and dropped columns from
// system_schema.
func (s *Session) ReadExistingSchema(ctx context.Context) (ExistingSchema, error) {
	h := ExistingSchema{Keyspaces: map[string]bool{}, Types: map[string]bool{}, Functions: map[string]bool{},
		Aggregates: map[string]bool{}, Tables: map[string]bool{}, Views: map[string]bool{}, Indexes: map[string]bool{},
		Columns: map[string]map[string]bool{}, Dropped: map[string]map[string]bool{}}
	names := func(table, col string, into map[string]bool) error {
		q := "SELECT keyspace_name"
		if col != "" {
			q += ", " + col
		}
		iter := s.Query(q + " FROM system_schema." + table).PageSize(5000).IterContext(ctx)
		var ks, name string
		dest := []any{&ks}
		if col != "" {
			dest = append(dest, &name)
		}
		for iter.Scan(dest...) {
			if col == "" {
				into[ks] = true
			} else {
				into[ks+"."+name] = true
			}
		}
		if err := iter.Close(); err != nil {
			return fmt.Errorf("cql %s: read system_schema.%s: %w", s.addr, table, err)
		}
		return nil
	}
	for _, r := range []struct {
		table, col string
		into       map[string]bool
	}{
		{"keyspaces", "", h.Keyspaces}, {"types", "type_name", h.Types}, {"functions", "function_name", h.Functions},
		{"aggregates", "aggregate_name", h.Aggregates}, {"tables", "table_name", h.Tables},
		{"views", "view_name", h.Views}, {"indexes", "index_name", h.Indexes},
	} {
		if err := names(r.table, r.col, r.into); err != nil {
			return ExistingSchema{}, err
		}
	}
	cols := func(table string, into map[string]map[string]bool) error {
		iter := s.Query("SELECT keyspace_name, table_name, column_name FROM system_schema." + table).PageSize(5000).IterContext(ctx)
		var ks, t, c string
		for iter.Scan(&ks, &t, &c) {
			k := ks + "." + t
			if into[k] == nil {
				into[k] = map[string]bool{}
			}
			into[k][c] = true
		}
		if err := iter.Close(); err != nil {
			return fmt.Errorf("cql %s: read system_schema.%s: %w", s.addr, table, err)
		}
		return nil
	}
	if err := cols("columns", h.Columns); err != nil {
		return ExistingSchema{}, err
	}
	if err := cols("dropped_columns", h.Dropped); err != nil {
		return ExistingSchema{}, err
	}
	return h, nil
}

// DroppedColumns reads system_schema.dropped_columns (every keyspace but
// system_traces): what a restore needs to re-create the dropped-column
// records of a table (see PlanSchema).
func (s *Session) DroppedColumns(ctx context.Context) ([]layout.DroppedColumn, error) {
	iter := s.Query("SELECT keyspace_name, table_name, column_name, dropped_time, kind, type FROM system_schema.dropped_columns").
		PageSize(5000).IterContext(ctx)
	var out []layout.DroppedColumn
	var d layout.DroppedColumn
	var kind *string
	var when time.Time
	for iter.Scan(&d.Keyspace, &d.Table, &d.Column, &when, &kind, &d.Type) {
		if excludedKeyspace(d.Keyspace) {
			continue
		}
		d.DroppedTime = when.UnixMicro()
		d.Kind = "regular"
		if kind != nil && *kind != "" {
			d.Kind = *kind
		}
		out = append(out, d)
	}
	if err := iter.Close(); err != nil {
		return nil, fmt.Errorf("cql %s: read system_schema.dropped_columns: %w", s.addr, err)
	}
	return out, nil
}

// RecreateSchema makes the selected part of a backup's schema exist in
// the cluster (see PlanSchema) and returns what it did. It is idempotent:
// a second run finds everything and does nothing (but truncate). Run it
// once per cluster, before the loads, from one node: CREATE TABLE run at
// the same time on two nodes can give the table two ids. The driver waits
// for schema agreement after each change.
func (s *Session) RecreateSchema(ctx context.Context, script string, dropped []layout.DroppedColumn, sel SchemaSelection) (SchemaResult, error) {
	have, err := s.ReadExistingSchema(ctx)
	if err != nil {
		return SchemaResult{}, err
	}
	plan, err := PlanSchema(script, dropped, have, sel)
	if err != nil {
		return SchemaResult{}, err
	}
	res := SchemaResult{SchemaPlan: plan}
	for _, st := range plan.Steps {
		if err := s.Query(st.Stmt).ExecContext(ctx); err != nil {
			if st.Optional {
				res.Failed = append(res.Failed, fmt.Sprintf("%s: %v", st.What, err))
				continue
			}
			return res, fmt.Errorf("cql %s: %s: %s: %w", s.addr, st.What, headOf(st.Stmt), err)
		}
		res.Done = append(res.Done, st)
	}
	return res, nil
}
