package compat

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/testbed"
)

// sameSnapBackups are backed up by both tools from one snapshot each.
var sameSnapBackups = []struct {
	name string
	diff bool
}{{"snap1", false}, {"snap2", true}}

// TestSameSnapshotLayout backs up one Cassandra snapshot with each tool
// (--use-existing-snapshot, full then differential) into two buckets with
// the same settings, and compares the buckets: the same keys (index epochs
// aside), manifests with the same objects, sizes and hashes, the same
// tokenmap, server version, markers and index contents, byte for byte.
func TestSameSnapshotLayout(t *testing.T) {
	n := testNode(t)
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			var srv *testbed.S3Server
			if kind == "s3" {
				srv = testbed.S3T(t)
			}
			ours := newStore(t, kind, n, srv, "compat-ours")
			py := newStore(t, kind, n, srv, "compat-python")
			for _, b := range sameSnapBackups {
				tag := b.name + "-" + kind
				if _, err := n.Nodetool(t.Context(), "snapshot", "-t", tag); err != nil {
					t.Fatal(err)
				}
				args := []string{"backup", "--backup-name", tag, "--use-existing-snapshot", "--keep-snapshot"}
				if !b.diff {
					args = append(args, "--mode", "full")
				}
				must(t, ours.ours(t, args...))
				must(t, py.python(t, args...))
				if _, err := n.Nodetool(t.Context(), "clearsnapshot", "-t", tag); err != nil {
					t.Fatal(err)
				}
				checkNodeBackup(t, ours, loadBackup(t, ours, tag), b.diff)
				checkNodeBackup(t, py, loadBackup(t, py, tag), b.diff)
				compareDocs(t, ours, tag, py, tag, true)
				compareSchema(t, ours, py, tag)
			}
			compareBuckets(t, ours, py)
		})
	}
}

// compareBuckets compares every object of the two buckets: the same keys
// (index epochs masked), the same sizes, and the same content except for
// data files (same snapshot files), schema.cql (compareSchema), index
// timestamps (checkNodeBackup) and manifests (whose object order is upload
// order; compareDocs compared their objects).
func compareBuckets(t *testing.T, ours, py *store) {
	a, b := listObjects(t, ours, ours.layout.KeyPrefix()), listObjects(t, py, py.layout.KeyPrefix())
	norm := func(st *store, objs map[string]storage.ObjectInfo) map[string]string {
		out := map[string]string{}
		for k := range objs {
			out[epochRE.ReplaceAllString(strings.TrimPrefix(k, st.layout.KeyPrefix()), "_{epoch}.timestamp")] = k
		}
		return out
	}
	an, bn := norm(ours, a), norm(py, b)
	// meta/dropped_columns.json is ours alone (docs/bucket-format.md): every
	// node backup of ours has one, Python's none.
	for nk := range an {
		if strings.HasSuffix(nk, "/meta/"+layout.DroppedColumnsFile) {
			delete(an, nk)
			if _, ok := bn[strings.TrimSuffix(nk, layout.DroppedColumnsFile)+layout.ManifestFile]; !ok {
				t.Errorf("%s: python has no such backup", nk)
			}
		}
	}
	for nk := range bn {
		if strings.HasSuffix(nk, "/meta/"+layout.ManifestFile) {
			if _, ok := a[ours.layout.KeyPrefix()+strings.TrimSuffix(nk, layout.ManifestFile)+layout.DroppedColumnsFile]; !ok {
				t.Errorf("our backup %s has no meta/%s", strings.TrimSuffix(nk, "/meta/"+layout.ManifestFile), layout.DroppedColumnsFile)
			}
		}
	}
	diffStrings(t, "bucket keys (index epochs masked)", slices.Sorted(maps.Keys(bn)), slices.Sorted(maps.Keys(an)))
	for nk, ak := range an {
		bk, ok := bn[nk]
		if !ok {
			continue
		}
		if a[ak].Size != b[bk].Size && !strings.HasSuffix(nk, ".cql") {
			t.Errorf("%s: %d bytes (ours), %d (python)", nk, a[ak].Size, b[bk].Size)
			continue
		}
		_, err := ours.layout.ParseDataKey(ak)
		skip := err == nil || strings.HasSuffix(nk, ".timestamp") || strings.HasSuffix(nk, ".cql") ||
			strings.HasSuffix(nk, "/"+layout.ManifestFile) || strings.Contains(nk, "/manifest_")
		if skip {
			continue
		}
		if x, y := readObject(t, ours, ak), readObject(t, py, bk); string(x) != string(y) {
			t.Errorf("%s differs:\n  python: %.300s\n  ours:   %.300s", nk, y, x)
		}
	}
}

// parseSchemaPy prints, for a schema.cql, what Python Medusa's
// restore-cluster reads from it (medusa.schema.parse_schema): one line
// "<keyspace> <kind> <name>" per keyspace, table, index, view, type and
// aggregate.
const parseSchemaPy = `import sys
from medusa.schema import parse_schema
for ks, objs in sorted(parse_schema(open(sys.argv[1]).read()).items()):
    print(ks, "keyspace", ks)
    for kind in ("tables", "indices", "materialized_views", "udt", "uda"):
        for name in sorted(objs[kind]):
            print(ks, kind, name)
`

// quotedLowerRE matches a quoted identifier that means the same unquoted.
var quotedLowerRE = regexp.MustCompile(`"([a-z_][a-z0-9_]*)"`)

// compareSchema compares meta/schema.cql of backup name in both buckets as
// Python Medusa reads it. The texts differ by design (see
// cassandra.Session.SchemaCQL: the server's DESCRIBE FULL SCHEMA, sorted by
// keyspace and listing newer table options, where Medusa has the Python
// driver's export_as_string in driver order), so the test compares what
// Medusa's parser (restore-cluster) finds in each: the same keyspaces,
// tables, indexes, views, types and aggregates. Names are compared without
// quotes that change nothing: the Python driver quotes every CQL keyword
// ("columns"), the server only reserved ones; both are valid CQL. The
// parser splits on ";" and only sees statements that start with CREATE: a
// keyspace right after a virtual keyspace's comment block ("*/CREATE
// KEYSPACE ...") is lost and its tables then raise KeyError, so the comment
// blocks must come last, as the Python driver lists virtual keyspaces after
// the others. The fixture keyspace zz_late (sorted after system_views and
// system_virtual_schema) checks that.
func compareSchema(t *testing.T, ours, py *store, name string) {
	parsed := func(st *store, tool string) []string {
		path := filepath.Join(t.TempDir(), "schema.cql")
		if err := os.WriteFile(path, readObject(t, st, st.layout.SchemaKey(st.fqdn, name)), 0o644); err != nil {
			t.Fatal(err)
		}
		out, _, err := py.py.Python(t.Context(), parseSchemaPy, path)
		if err != nil {
			t.Errorf("Python Medusa's parse_schema (restore-cluster) fails on the schema.cql of %s that %s "+
				"wrote: %v\n%s", name, tool, err, schemaAround(readObject(t, st, st.layout.SchemaKey(st.fqdn, name))))
			return nil
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		for i, l := range lines {
			lines[i] = quotedLowerRE.ReplaceAllString(l, "$1")
		}
		slices.Sort(lines)
		return lines
	}
	want, got := parsed(py, "Python Medusa"), parsed(ours, "our tool")
	if want == nil || got == nil {
		return
	}
	diffStrings(t, "schema objects Python Medusa parses from schema.cql of "+name, want, got)
	for _, obj := range []string{"zz_late tables items", "fx_shop tables users", "fx_shop indices users_email_idx",
		"fx_shop indices orders_item_sai", "fx_shop materialized_views users_by_name", "fx_shop udt address"} {
		if !slices.Contains(got, obj) {
			t.Errorf("Python Medusa finds no %q in our schema.cql of %s", obj, name)
		}
	}
}

// schemaAround returns the lines of a schema.cql around the keyspaces that
// follow a comment block (virtual keyspaces), for failure messages.
func schemaAround(schema []byte) string {
	lines := strings.Split(string(schema), "\n")
	var out []string
	for i, l := range lines {
		if strings.HasPrefix(l, "*/") && i+2 < len(lines) && strings.HasPrefix(lines[i+2], "CREATE KEYSPACE") {
			out = append(out, lines[max(0, i-3):min(len(lines), i+4)]...)
			out = append(out, "...")
		}
	}
	return strings.Join(out, "\n")
}
