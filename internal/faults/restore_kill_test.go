package faults_test

import (
	"maps"
	"syscall"
	"testing"
)

// TestKillRestore stops restore-node where no journal is needed yet:
// during the download, before Cassandra is touched. The node must be
// untouched and the next restore-node must complete with the backup's
// rows.
//
// Kill points after the stop are in TestKillRestoreAfterStop.
func TestKillRestore(t *testing.T) {
	var rows struct {
		backed, before map[string]string // the backup's rows, the rows when the restore starts
		pid            int
	}
	tmp := t.TempDir()
	restore := []string{"restore-node", "--backup-name", "r1", "--temp-dir", tmp}
	setup := func(e *env) {
		e.must("backup", "--backup-name", "r1", "--mode", "full")
		rows.backed = checksums(e.t)
		if err := writeAndFlush(e.t.Context(), bed.node, 3000, 30); err != nil {
			e.t.Fatal(err)
		}
		rows.before, rows.pid = checksums(e.t), bed.node.PID()
	}
	cases := []killCase{
		{name: "kill -9 restore-node during the download", setup: setup, args: restore,
			at: atGet("the 3rd data download", "/data/", 3), sig: syscall.SIGKILL,
			check: func(e *env, _ result) string {
				if bed.node.PID() != rows.pid || !maps.Equal(checksums(e.t), rows.before) {
					e.t.Error("the killed restore touched the node (restarted or rows changed)")
				}
				return restoreRecovers(e, restore, rows.backed)
			}},
	}
	runKillCases(t, "restore", cases)
}

// restoreRecovers runs the restore again: it must complete, Cassandra be
// up and the rows be the backup's.
func restoreRecovers(e *env, args []string, backed map[string]string) string {
	e.t.Helper()
	e.must(args...)
	cassandraUp(e.t)
	if got := checksums(e.t); !maps.Equal(got, backed) {
		e.t.Errorf("after the re-run of the restore, rows differ from the backup's:\n got %v\nwant %v", got, backed)
	}
	return "node untouched after the kill (same process, same rows); the next restore-node completed with the backup's rows; Cassandra up"
}
