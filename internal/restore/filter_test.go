package restore

import (
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/layout"
)

func TestFilterKeep(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		f      Filter
		ks, tb string
		want   bool
	}{
		{"no selection keeps everything", Filter{}, "ks", "t-1", true},
		{"no selection keeps system", Filter{}, "system", "local-1", true},
		{"selected keyspace", Filter{Keyspaces: []string{"ks"}}, "ks", "t-1", true},
		{"other keyspace", Filter{Keyspaces: []string{"ks"}}, "other", "t-1", false},
		{"system keyspaces always", Filter{Keyspaces: []string{"ks"}}, "system_schema", "tables-1", true},
		{"system_distributed always", Filter{Tables: []string{"ks.t"}}, "system_distributed", "x-1", true},
		{"selected table, name before the first dash", Filter{Tables: []string{"ks.t"}}, "ks", "t-abc-def", true},
		{"other table", Filter{Tables: []string{"ks.t"}}, "ks", "tt-1", false},
		{"table of another keyspace", Filter{Tables: []string{"ks.t"}}, "ks2", "t-1", false},
		{"ignore system with a selection", Filter{Keyspaces: []string{"ks"}, IgnoreSystem: true}, "system_auth", "roles-1", false},
		{"ignore system without a selection", Filter{IgnoreSystem: true}, "system", "local-1", false},
		{"ignore system keeps user tables", Filter{IgnoreSystem: true}, "ks", "t-1", true},
		{"system_traces is not a system keyspace here", Filter{Keyspaces: []string{"ks"}}, "system_traces", "events-1", false},
	} {
		if got := tc.f.Keep(tc.ks, tc.tb); got != tc.want {
			t.Errorf("%s: Keep(%s, %s) = %v, want %v", tc.name, tc.ks, tc.tb, got, tc.want)
		}
	}
}

// TestActionFor covers the remote-restore rules, including the fix of
// Medusa's precedence bug: only the system keyspace's peers tables are
// wiped.
func TestActionFor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ks, dir           string
		inPlace, keepAuth bool
		want              Action
	}{
		{"system", "local-7ad54392bcdd35a684174e047860b377", true, false, Restore},
		{"system", "peers-37f71aca7dc2383ba70672528af04d4f", true, false, Restore},
		{"system", "local-7ad54392bcdd35a684174e047860b377", false, false, Wipe},
		{"system", "peers-37f71aca7dc2383ba70672528af04d4f", false, false, Wipe},
		{"system", "peers_v2-c4325fbb8e5e3bafbd070f9250ed818e", false, false, Wipe},
		{"system", "local_things-1", false, false, Restore},
		{"system", "paxos-b7b7f0c2fd0a34108c053ef614bb7c2d", false, false, Restore},
		{"myks", "peers-1234", false, false, Restore},
		{"myks", "peers_book-1234", false, false, Restore},
		{"system_auth", "roles-5bc52802de2535edaeab188eecebb090", false, true, Keep},
		{"system_auth", "roles-5bc52802de2535edaeab188eecebb090", false, false, Restore},
	} {
		if got := ActionFor(tc.ks, tc.dir, tc.inPlace, tc.keepAuth); got != tc.want {
			t.Errorf("ActionFor(%s, %s, inPlace=%v, keepAuth=%v) = %v, want %v", tc.ks, tc.dir, tc.inPlace, tc.keepAuth, got, tc.want)
		}
	}
}

// TestTableFilesRefusesEscapes: manifest paths must stay inside their
// table directory.
func TestTableFilesRefusesEscapes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		path, err string
	}{
		{"n/b/data/ks/t-1/nb-1-big-Data.db", ""},
		{"n/b/data/ks/t-1/.t_idx/nb-1-big-Data.db", ""},
		{"n/data/dse/metadata/nodes/x", ""},
		{"n/b/data/ks/t-1/../../../etc/passwd", "unexpected path"},
		{"n/b/data/ks/t-1/sub/dir/file", "unexpected path"},
		{"n/b/data/ks/t-1/plain/file", "unexpected path"},
		{"n/b/data/other/t-1/file", "is not under"},
		{"n/b/data/ks/t-1/.t_idx/..", "unsafe"},
	} {
		ks, dir := "ks", "t-1"
		if strings.Contains(tc.path, "dse") {
			ks, dir = "dse", "metadata"
		}
		_, err := tableFiles(layout.Section{Keyspace: ks, ColumnFamily: dir,
			Objects: []layout.Object{{Path: tc.path, Size: 1}}})
		if (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("tableFiles(%q) = %v, want %q", tc.path, err, tc.err)
		}
	}
}
