package pitr

import (
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/commitlog"
)

// TestArchCrashRestart: Cassandra is killed (SIGKILL) with closed segments
// spooled or archived and a partly written tail. At the next start it runs
// the archive command again for every segment left in the commit log
// directory: the hook is idempotent (no .dup- file), and the next sync
// archives the tail, as a segment of no known run (it predates the new
// process), while the segments archived before are skipped, not duplicated.
func TestArchCrashRestart(t *testing.T) {
	b := PitrBed(t)
	s := b.Session(t, "")
	archKeyspace(t, s, "arch_crash")
	before := len(b.Spooled(t))
	archWrite(t, s, "arch_crash", 0, 2500)
	waitSpooled(t, b, before+2)
	b.MustRun(t, "commitlog", "sync", "--once")
	archWrite(t, s, "arch_crash", 2500, 300) // the tail: not archived until the restart

	pid := b.Node.PID()
	if pid == 0 {
		t.Fatal("the node is not running")
	}
	left := segmentFiles(t, b.Node.CommitlogDir)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Wait for the process, and its CQL port, to be gone.
	addr := net.JoinHostPort(b.Node.Host, strconv.Itoa(b.Node.NativePort))
	for deadline := time.Now().Add(time.Minute); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		if err != nil && b.Node.PID() == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the killed node still runs or %s still answers", addr)
		}
		time.Sleep(200 * time.Millisecond)
	}
	restart(t, b)
	if t.Failed() {
		return
	}
	b.MustRun(t, "commitlog", "sync", "--once")
	entries, _ := os.ReadDir(b.SpoolDir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".dup-") {
			t.Errorf("duplicate spooled after the restart: %s", e.Name())
		}
	}
	segs, err := commitlog.List(t.Context(), b.Storage(t), b.FQDN)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string][]commitlog.SegmentInfo{}
	for _, g := range segs {
		byName[g.Name] = append(byName[g.Name], g)
	}
	for name, gs := range byName {
		if len(gs) > 1 {
			t.Errorf("%s is archived %d times", name, len(gs))
		}
	}
	// Every segment left in the directory by the crash that held writes
	// is archived now; the one that was being written has no run.
	sort.Strings(left)
	archivedLeft := 0
	for _, n := range left {
		if gs := byName[n]; len(gs) == 1 {
			archivedLeft++
		}
	}
	if archivedLeft < len(left)-1 {
		t.Errorf("%d of the %d segments left by the crash are archived: %v", archivedLeft, len(left), left)
	}
	if newest := left[len(left)-1]; len(byName[newest]) == 1 && byName[newest][0].JVMRun != "" {
		t.Errorf("%s, archived at the restart, has run %q; want none (it predates the new process)",
			newest, byName[newest][0].JVMRun)
	}
	t.Logf("%d segments were in the commit log directory at the crash; %d archived after the restart",
		len(left), archivedLeft)
}

func segmentFiles(t testing.TB, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if _, err := commitlog.ParseSegmentName(filepath.Base(e.Name())); err == nil {
			out = append(out, e.Name())
		}
	}
	return out
}
