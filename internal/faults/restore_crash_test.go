package faults_test

import (
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/restore"
)

// TestKillRestoreAfterStop kills restore-node (SIGKILL, sent by the
// process to itself at a precise point through restore.FaultEnv) once it
// has begun to change the node: as Cassandra is being stopped, while the
// node's directories are moved aside, while the downloaded ones are put
// in place, as Cassandra is started, and during the final cleanup. The
// next command that touches the node (a backup) must first finish the
// interrupted restore and say so: rolled back (the rows from before the
// restore) or completed (the backup's rows), with Cassandra up.
func TestKillRestoreAfterStop(t *testing.T) {
	suite(t)
	e := newEnv(t, "restore-crash", nil)
	tmp := t.TempDir()
	e.must("backup", "--backup-name", "c1", "--mode", "full")
	backed := checksums(t)
	for i, tc := range []struct {
		at       string // restore.FaultEnv: <stage>:<changes before the kill>
		what     string
		restored bool   // the recovery completes the restore (else it rolls back)
		says     string // what the recovery must say ("": before any change, it may say nothing)
	}{
		{"stop:0", "as Cassandra is about to be drained and stopped", false, ""},
		{"move-aside:3", "after 3 moves of the node's directories aside", false, "rolled back an interrupted restore"},
		{"place:4", "after 4 downloaded directories were put in place", false, "rolled back an interrupted restore"},
		{"start:0", "as Cassandra is started again", true, "completed an interrupted restore"},
		{"cleanup:1", "during the removal of what was moved aside", true, "finished an interrupted restore"},
	} {
		ok := t.Run(tc.at, func(t *testing.T) {
			e.t = t
			if err := writeAndFlush(t.Context(), bed.node, 8000+100*i, 20); err != nil {
				t.Fatal(err)
			}
			before := checksums(t)
			row := record(t, outcome{Case: "kill -9 restore-node " + tc.what,
				Injected: fmt.Sprintf("kill -9 of `medusa restore-node` %s (%s=%s)", tc.what, restore.FaultEnv, tc.at)})
			base := e.extraEnv
			e.extraEnv = append(append([]string(nil), base...), restore.FaultEnv+"="+tc.at)
			r := e.run("restore-node", "--backup-name", "c1", "--temp-dir", tmp)
			e.extraEnv = base
			row.Saw = r.saw()
			if r.code != -1 {
				t.Fatalf("restore-node was not killed at %s: %s", tc.at, r)
			}
			rec := e.must("backup", "--backup-name", fmt.Sprintf("after-c%d", i), "--mode", "full")
			want := before
			if tc.restored {
				want = backed
			}
			if tc.says != "" && !strings.Contains(rec.out, "Recovery: "+tc.says) {
				t.Errorf("the next backup does not say %q:\n%s", "Recovery: "+tc.says, rec.out)
			}
			cassandraUp(t)
			got := checksums(t)
			if !maps.Equal(got, want) {
				t.Errorf("rows after the recovery differ from the %s:\n got %v\nwant %v",
					map[bool]string{true: "backup's", false: "state before the restore"}[tc.restored], got, want)
			}
			row.Check = fmt.Sprintf("the next backup said %q; rows equal the %s; Cassandra up", recoveryLine(rec.out),
				map[bool]string{true: "backup's (restore completed)", false: "state before the restore (rolled back)"}[tc.restored])
		})
		if !ok {
			t.FailNow()
		}
	}
}

// recoveryLine is the line of out that reports a recovery, shortened.
func recoveryLine(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if i := strings.Index(l, "Recovery: "); i >= 0 {
			l = l[i:]
			if j := strings.Index(l, " (started"); j > 0 {
				l = l[:j]
			}
			return l
		}
	}
	return ""
}
