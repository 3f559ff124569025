package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/medusa-go/medusa/internal/restore"
	"github.com/medusa-go/medusa/internal/testbed"
)

// TestKilledRestoreRecovers kills the real medusa binary (SIGKILL, from
// the restore's fault hook) at points after Cassandra was stopped, then
// runs `medusa backup`, which must first finish the interrupted restore:
// every table's rows equal those before the restore (rolled back) or the
// backup's (completed), Cassandra runs and nothing of the restore is left.
// The cases share one node.
func TestKilledRestoreRecovers(t *testing.T) {
	b, backed := newRestoreBed(t)
	n := b.n
	bin := buildMedusa(t)

	for i, tc := range []struct {
		kill     string // restore.FaultEnv
		restored bool   // the recovery completes the restore (else rolls back)
		says     string
	}{
		{"move-aside:3", false, "rolled back an interrupted restore of backup b1"},
		{"place:4", false, "rolled back an interrupted restore of backup b1"},
		{"start:0", true, "completed an interrupted restore of backup b1"},
		{"cleanup:1", true, "finished an interrupted restore of backup b1"},
	} {
		if !t.Run(tc.kill, func(t *testing.T) {
			sb := *b
			sb.t = t
			s := sb.session(n)
			if err := testbed.WriteRowsFrom(t.Context(), s, 6000+100*i, 10); err != nil {
				t.Fatal(err)
			}
			s.Close()
			before := sb.checksums(n)
			cmd := exec.CommandContext(t.Context(), bin, "--config-file", b.ini, "restore-node", "--backup-name", "b1",
				"--temp-dir", b.tmp)
			cmd.Env = append(os.Environ(), restore.FaultEnv+"="+tc.kill, "TMPDIR="+b.tmp)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("restore-node was not killed (%v):\n%s", err, out)
			}
			got := sb.mustMedusa(b.ini, "backup", "--backup-name", fmt.Sprint("after-kill-", i))
			if !strings.Contains(got, "Recovery: "+tc.says) {
				t.Errorf("backup output does not say %q:\n%s", tc.says, got)
			}
			want := before
			if tc.restored {
				want = backed
			}
			sb.sameChecksums("after the recovery", sb.checksums(n), want)
			sb.assertNoLeftovers(n)
		}) {
			t.FailNow()
		}
	}
}
