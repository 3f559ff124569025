package pitr

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/commitlog"
	"github.com/medusa-go/medusa/internal/testbed"
)

// TestArchStoreDown: the store hangs (a black hole) while Cassandra
// writes. The archive command never talks to the store, so writes go on and
// closed segments keep arriving in the spool; `commitlog sync` fails with
// an error saying they stay spooled and leaves them; the next sync with
// the store back uploads every one of them.
func TestArchStoreDown(t *testing.T) {
	b := PitrBed(t)
	s := b.Session(t, "")
	archKeyspace(t, s, "arch_down")
	hole := testbed.BlackHoleT(t)
	down := b.WriteINI(t, map[string]map[string]string{"storage": {"port": strconv.Itoa(hole.Port), "read_timeout": "2"}})

	// Writes go on while a sync against the dead store runs.
	before := len(b.Spooled(t))
	wrote := make(chan time.Duration, 1)
	go func() {
		start := time.Now()
		archWrite(t, s, "arch_down", 0, 3000)
		wrote <- time.Since(start)
	}()
	waitSpooled(t, b, before+1)
	res := b.RunINI(t, down, "commitlog", "sync", "--once")
	took := <-wrote
	spooled := waitSpooled(t, b, before+2)
	t.Logf("3000 writes took %v with the store down; sync failed after %v: %s", took, res.Took,
		strings.TrimSpace(res.Stderr))
	if res.Code == 0 {
		t.Fatalf("sync with the store down succeeded:\n%s", res.Out())
	}
	if !strings.Contains(res.Stderr, "stay spooled") || strings.Contains(res.Stderr, " 0 segment(s) stay spooled") {
		t.Errorf("sync error does not say the segments stay spooled:\n%s", res.Stderr)
	}
	if hole.Accepted() == 0 {
		t.Error("sync never reached the black hole")
	}
	// Segments closed while the store was down are all still spooled.
	res = b.RunINI(t, down, "commitlog", "sync", "--once")
	if res.Code == 0 {
		t.Fatalf("second sync with the store down succeeded:\n%s", res.Out())
	}
	left := b.Spooled(t)
	for _, n := range spooled {
		if !contains(left, n) {
			t.Errorf("%s left the spool while the store was down", n)
		}
	}
	var count int
	if err := s.Query("SELECT count(*) FROM arch_down.t").Scan(&count); err != nil || count != 3000 {
		t.Errorf("rows written while the store was down: %d, %v; want 3000", count, err)
	}

	b.MustRun(t, "commitlog", "sync", "--once")
	segs, err := commitlog.List(t.Context(), b.Storage(t), b.FQDN)
	if err != nil {
		t.Fatal(err)
	}
	archived := map[string]bool{}
	for _, g := range segs {
		archived[g.Name] = true
	}
	for _, n := range left {
		if !archived[n] {
			t.Errorf("%s was spooled while the store was down and is not archived after it came back", n)
		}
	}
	for _, n := range b.Spooled(t) {
		if contains(left, n) {
			t.Errorf("%s is still spooled after the store came back", n)
		}
	}
}

// TestArchHookLatency measures the archive command as Cassandra runs it:
// the medusa binary started with the node's medusa.ini on a 1 MiB segment
// (process start, medusa.ini, link, info file, fsyncs). Cassandra's single
// archiver thread waits for it: it must stay far below the time a segment
// takes to fill.
func TestArchHookLatency(t *testing.T) {
	b := PitrBed(t)
	cl, spool := t.TempDir(), filepath.Join(t.TempDir(), "spool")
	ini := b.WriteINI(t, map[string]map[string]string{"cassandra": {"commitlog_spool_dir": spool}})
	hdr, err := commitlog.EncodeHeader(commitlog.Header{Version: 7, ID: 1765000000000})
	if err != nil {
		t.Fatal(err)
	}
	data := append(hdr, make([]byte, 1<<20-len(hdr))...)
	var took []time.Duration
	for i := range 30 {
		name := commitlog.SegmentName{Version: 7, ID: int64(1765000000000 + i)}.String()
		copy(data, mustHeader(t, int64(1765000000000+i)))
		path := filepath.Join(cl, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		res := b.RunINI(t, ini, "commitlog", "archive", path, name)
		if res.Code != 0 || res.Out() != "" {
			t.Fatalf("archive %s: exit %d, output %q", name, res.Code, res.Out())
		}
		took = append(took, res.Took)
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	t.Logf("archive command (whole process): p50 %v, p90 %v, max %v over %d runs",
		took[len(took)/2], took[len(took)*9/10], took[len(took)-1], len(took))
	if n := len(b.spooledIn(t, spool)); n != 30 {
		t.Errorf("%d segments spooled, want 30", n)
	}
}

func mustHeader(t testing.TB, id int64) []byte {
	t.Helper()
	h, err := commitlog.EncodeHeader(commitlog.Header{Version: 7, ID: id})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (b *Bed) spooledIn(t testing.TB, dir string) []string {
	t.Helper()
	saved := b.SpoolDir
	defer func() { b.SpoolDir = saved }()
	b.SpoolDir = dir
	return b.Spooled(t)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
