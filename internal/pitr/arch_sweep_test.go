package pitr

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/commitlog"
)

// TestArchSweepFailedArchive: the archive command fails (its spool cannot
// be created); Cassandra keeps writing and leaves the segments in the
// commit log directory. `commitlog sync` finds them there (neither spooled
// nor archived, older than --sweep-age, not the two newest), uploads them
// and leaves the files for Cassandra.
func TestArchSweepFailedArchive(t *testing.T) {
	b := PitrBed(t)
	s := b.Session(t, "")
	archKeyspace(t, s, "arch_sweep")
	b.MustRun(t, "commitlog", "sync", "--once") // what is spooled or left so far is archived
	// The node's archive_command reads b.INI: break its spool.
	if err := b.writeINI(b.INI, b.Node, map[string]map[string]string{"cassandra": {"commitlog_spool_dir": "/dev/null/spool"}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.writeINI(b.INI, b.Node, nil); err != nil {
			t.Error(err)
		}
	})
	spooled := len(b.Spooled(t))
	archWrite(t, s, "arch_sweep", 0, 4000)
	time.Sleep(2 * time.Second)
	if n := len(b.Spooled(t)); n != spooled {
		t.Fatalf("%d segments spooled while the archive command could not spool, want %d", n, spooled)
	}
	if err := b.writeINI(b.INI, b.Node, nil); err != nil {
		t.Fatal(err)
	}
	res := b.MustRun(t, "commitlog", "sync", "--once", "--sweep-age", "1s")
	m := regexp.MustCompile(`swept=(\d+)`).FindStringSubmatch(res.Out())
	if m == nil {
		t.Fatalf("sync output has no swept count:\n%s", res.Out())
	}
	swept, _ := strconv.Atoi(m[1])
	t.Logf("sync swept %d segments whose archive failed", swept)
	if swept < 2 {
		t.Errorf("swept %d segments, want 2 or more:\n%s", swept, res.Out())
	}
	segs, err := commitlog.List(t.Context(), b.Storage(t), b.FQDN)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, g := range segs {
		if _, err := os.Stat(filepath.Join(b.Node.CommitlogDir, g.Name)); err == nil && g.JVMRun == "" {
			found++
		}
	}
	if found < swept {
		t.Errorf("%d archived segments are still in the commit log directory, want the %d swept", found, swept)
	}
	if res := b.MustRun(t, "commitlog", "sync", "--once", "--sweep-age", "1s"); regexp.MustCompile(`uploaded=[1-9]`).MatchString(res.Out()) {
		t.Errorf("a second sweep uploaded again:\n%s", res.Out())
	}
}
