package cassandra

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeTree creates files (path -> size in bytes) below root.
func writeTree(t *testing.T, root string, files map[string]int) {
	t.Helper()
	for p, size := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(strings.Repeat("x", size)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFindSnapshot(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	const tag = "medusa-b1"
	users := "ks1/users-1d4f2e00a1b011eea5b1f9d4c6e1a2b3/snapshots/" + tag + "/"
	orders := "ks1/orders-2a2a2e00a1b011eea5b1f9d4c6e1a2b3/snapshots/" + tag + "/"
	uuidTbl := "ks2/events-3b3b2e00a1b011eea5b1f9d4c6e1a2b3/snapshots/" + tag + "/"
	writeTree(t, data, map[string]int{
		users + "nb-1-big-Data.db":                              100,
		users + "nb-1-big-Index.db":                             10,
		users + "nb-1-big-TOC.txt":                              5,
		users + "manifest.json":                                 20,
		users + "schema.cql":                                    30,
		users + ".users_email_idx/nb-1-big-Data.db":             7,
		users + ".users_email_idx/nb-1-big-Statistics.db":       3,
		orders + "nb-3-big-Data.db":                             50,
		orders + "nb-3-big-SAI+aa+orders_item_sai+KDTree.db":    9,
		orders + "nb-3-big-SAI+aa+GroupComplete.db":             0,
		uuidTbl + "da-3g5t_0yyq_1i7kw2l1vxkzj7xgwn-bti-Data.db": 11,
		uuidTbl + "da-3g5t_0yyq_1i7kw2l1vxkzj7xgwn-bti-Rows.db": 0,
		"system_traces/events-8826e8e9e16a372887533bc1fc713c25/snapshots/" + tag + "/nb-1-big-Data.db": 4,
		// another tag and live sstables are not part of the snapshot
		"ks1/users-1d4f2e00a1b011eea5b1f9d4c6e1a2b3/snapshots/other/nb-9-big-Data.db": 1,
		"ks1/users-1d4f2e00a1b011eea5b1f9d4c6e1a2b3/nb-1-big-Data.db":                 100,
	})
	// A table whose snapshot holds only Cassandra's own files still appears.
	writeTree(t, data, map[string]int{"ks2/empty-4c4c2e00a1b011eea5b1f9d4c6e1a2b3/snapshots/" + tag + "/manifest.json": 2})

	got, err := FindSnapshot(data, tag)
	if err != nil {
		t.Fatal(err)
	}
	type tbl struct {
		ks, dir, table string
		files          []string
		sizes          []int64
	}
	var summary []tbl
	for _, ts := range got {
		s := tbl{ks: ts.Keyspace, dir: ts.TableDir, table: ts.Table()}
		for _, f := range ts.Files {
			s.files = append(s.files, f.RelPath)
			s.sizes = append(s.sizes, f.Size)
			if f.Path != filepath.Join(ts.Dir, filepath.FromSlash(f.RelPath)) {
				t.Errorf("%s: Path %s", f.RelPath, f.Path)
			}
		}
		if ts.Dir != filepath.Join(data, ts.Keyspace, ts.TableDir, "snapshots", tag) {
			t.Errorf("Dir = %s", ts.Dir)
		}
		summary = append(summary, s)
	}
	want := []tbl{
		{"ks1", "orders-2a2a2e00a1b011eea5b1f9d4c6e1a2b3", "orders",
			[]string{"nb-3-big-Data.db", "nb-3-big-SAI+aa+GroupComplete.db", "nb-3-big-SAI+aa+orders_item_sai+KDTree.db"},
			[]int64{50, 0, 9}},
		{"ks1", "users-1d4f2e00a1b011eea5b1f9d4c6e1a2b3", "users",
			[]string{".users_email_idx/nb-1-big-Data.db", ".users_email_idx/nb-1-big-Statistics.db",
				"nb-1-big-Data.db", "nb-1-big-Index.db", "nb-1-big-TOC.txt"},
			[]int64{7, 3, 100, 10, 5}},
		{"ks2", "empty-4c4c2e00a1b011eea5b1f9d4c6e1a2b3", "empty", nil, nil},
		{"ks2", "events-3b3b2e00a1b011eea5b1f9d4c6e1a2b3", "events",
			[]string{"da-3g5t_0yyq_1i7kw2l1vxkzj7xgwn-bti-Data.db", "da-3g5t_0yyq_1i7kw2l1vxkzj7xgwn-bti-Rows.db"},
			[]int64{11, 0}},
	}
	if !reflect.DeepEqual(summary, want) {
		t.Fatalf("FindSnapshot =\n%+v\nwant\n%+v", summary, want)
	}
	if got[1].Size() != 125 {
		t.Errorf("users Size() = %d, want 125", got[1].Size())
	}

	if !SnapshotExists(data, tag) || !SnapshotExists(data, "other") || SnapshotExists(data, "missing") {
		t.Error("SnapshotExists answers wrongly")
	}
	if none, err := FindSnapshot(data, "missing"); err != nil || len(none) != 0 {
		t.Errorf("missing tag: %v, %v", none, err)
	}
	if none, err := FindSnapshot(filepath.Join(data, "nowhere"), tag); err != nil || len(none) != 0 {
		t.Errorf("missing data dir: %v, %v", none, err)
	}
}

func TestFindSnapshotTraceOnly(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	writeTree(t, data, map[string]int{"system_traces/sessions-c5e99f16/snapshots/t/nb-1-big-Data.db": 1})
	got, err := FindSnapshot(data, "t")
	if err != nil || len(got) != 0 {
		t.Fatalf("system_traces only: %v, %v", got, err)
	}
	if SnapshotExists(data, "t") {
		t.Error("a system_traces snapshot alone counts as existing")
	}
}

func TestFindSnapshotBadTag(t *testing.T) {
	t.Parallel()
	for _, tag := range []string{"", "a/b", "*", "x?", "[ab]"} {
		if _, err := FindSnapshot(t.TempDir(), tag); err == nil {
			t.Errorf("tag %q accepted", tag)
		}
		if SnapshotExists(t.TempDir(), tag) {
			t.Errorf("SnapshotExists(%q) = true", tag)
		}
	}
}

func TestFindSnapshotSymlinks(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	snap := filepath.Join(data, "ks", "t-1", "snapshots", "s")
	writeTree(t, data, map[string]int{"ks/t-1/snapshots/s/nb-1-big-Data.db": 3, "elsewhere/real.db": 8})
	if err := os.Symlink(filepath.Join(data, "elsewhere", "real.db"), filepath.Join(snap, "nb-1-big-Index.db")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(data, "gone"), filepath.Join(snap, "dangling.db")); err != nil {
		t.Fatal(err)
	}
	got, err := FindSnapshot(data, "s")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got[0].Files) != 2 || got[0].Files[1].RelPath != "nb-1-big-Index.db" || got[0].Files[1].Size != 8 {
		t.Fatalf("got %+v", got)
	}
}

func TestFindSnapshotDataDirWithPatternCharacters(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "data[1]*?")
	writeTree(t, data, map[string]int{"ks/t-1/snapshots/s/nb-1-big-Data.db": 3})
	got, err := FindSnapshot(data, "s")
	if err != nil || len(got) != 1 || len(got[0].Files) != 1 {
		t.Fatalf("FindSnapshot = %+v, %v", got, err)
	}
	if !SnapshotExists(data, "s") {
		t.Error("SnapshotExists = false")
	}
}
