package testbed

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseListSnapshots(t *testing.T) {
	t.Parallel()
	out := "Snapshot Details: \n" +
		"Snapshot name Keyspace name Column family name True size Size on disk Creation time            Expiration time\n" +
		"medusa-b1     fx_shop       users              1.33 KiB  21.04 KiB    2026-12-05T22:39:20.061Z\n" +
		"medusa-b1     fx_logs       lines              0 bytes   5 KiB        2026-12-05T22:39:20.061Z 2026-12-06T22:39:20Z\n" +
		"\nTotal TrueDiskSpaceUsed: 1.33 KiB\n\n"
	got := parseListSnapshots(out)
	want := []map[string]string{
		{"Snapshot name": "medusa-b1", "Keyspace name": "fx_shop", "Column family name": "users", "True size": "1.33 KiB",
			"Size on disk": "21.04 KiB", "Creation time": "2026-12-05T22:39:20.061Z", "Expiration time": ""},
		{"Snapshot name": "medusa-b1", "Keyspace name": "fx_logs", "Column family name": "lines", "True size": "0 bytes",
			"Size on disk": "5 KiB", "Creation time": "2026-12-05T22:39:20.061Z", "Expiration time": "2026-12-06T22:39:20Z"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if rows := parseListSnapshots("Snapshot Details: \nThere are no snapshots\n"); len(rows) != 0 {
		t.Errorf("no snapshots: %v", rows)
	}
}

func TestCassandraMessage(t *testing.T) {
	t.Parallel()
	err := errors.New("exit status 2")
	if got := cassandraMessage("error: Snapshot medusa-x already exists.\n-- StackTrace --\njava.io.IOException: ...\n", err); got != "Snapshot medusa-x already exists." {
		t.Errorf("got %q", got)
	}
	if got := cassandraMessage("nodetool: Failed to connect\n", err); got != "nodetool: Failed to connect" {
		t.Errorf("got %q", got)
	}
	if got := cassandraMessage("", err); got != "exit status 2" {
		t.Errorf("got %q", got)
	}
}
