package restore

import (
	"errors"
	"strings"
	"testing"
)

// TestSelectionNamingNothing: a --keyspace or --table the backup does not
// hold fails at the plan, before the node or the temporary directory is
// touched, naming what is missing and what the backup holds.
func TestSelectionNamingNothing(t *testing.T) {
	for _, tc := range []struct {
		name      string
		keyspaces []string
		tables    []string
		want      string
	}{
		{"unknown keyspace", []string{"nope"}, nil, "holds no keyspace nope (it holds the tables ks.empty, ks.new, ks.orders"},
		{"unknown table", nil, []string{"ks.nope"}, "holds no table ks.nope"},
		{"one of two unknown", []string{"ks", "ks2"}, []string{"ks.users", "other.t"}, "holds no keyspace ks2, table other.t"},
		{"table in a system keyspace", nil, []string{"system.nope"}, "holds no table system.nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newScenario(t)
			f.backup(tables{"ks/users-1111": {"a": "1"}, "ks/orders-2222": {"b": "2"}, "ks/empty-3333": {},
				"ks/new-9999": {"c": "3"}, "system/local-7ad5": {"d": "4"}})
			before := tree(t, f.root)
			o := f.options()
			o.Keyspaces, o.Tables = tc.keyspaces, tc.tables
			_, err := f.run(o)
			var se *StageError
			if !errors.As(err, &se) || se.Stage != StagePlan || !strings.Contains(err.Error(), tc.want) ||
				!strings.Contains(err.Error(), "nothing was changed") {
				t.Fatalf("err = %v, want a plan failure containing %q", err, tc.want)
			}
			if calls := f.node.Calls(); len(calls) != 0 {
				t.Errorf("node touched: %v", calls)
			}
			if d := diffTrees(before, tree(t, f.root)); len(d) > 0 {
				t.Errorf("files changed: %v", d)
			}
			_, err = Download(t.Context(), f.deps(), DownloadOptions{Backup: fxBackup, FQDN: fxFQDN,
				Destination: t.TempDir(), Keyspaces: tc.keyspaces, Tables: tc.tables})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("download: err = %v, want %q", err, tc.want)
			}
		})
	}
}
