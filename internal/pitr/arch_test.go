package pitr

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/medusa-go/medusa/internal/commitlog"
)

// archWrite upserts rows from..from+n-1 of about 1 KiB into ks.t, eight at
// a time.
func archWrite(t testing.TB, s *gocql.Session, ks string, from, n int) {
	t.Helper()
	val := strings.Repeat("x", 1000)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	sem := make(chan struct{}, 8)
	for k := from; k < from+n; k++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := s.Query("INSERT INTO "+ks+".t (k, v) VALUES (?, ?)", k, val).ExecContext(t.Context()); err != nil {
				select {
				case errs <- err:
				default:
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatalf("write %s.t rows %d..%d: %v", ks, from, from+n-1, err)
	default:
	}
}

// archKeyspace creates keyspace ks with table t (k int, v text).
func archKeyspace(t testing.TB, s *gocql.Session, ks string) {
	t.Helper()
	Exec(t, s, "CREATE KEYSPACE IF NOT EXISTS "+ks+" WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE IF NOT EXISTS "+ks+".t (k int PRIMARY KEY, v text)")
}

// waitSpooled waits until at least n segments are spooled.
func waitSpooled(t testing.TB, b *Bed, n int) []string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := b.Spooled(t)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d segments spooled after 30 s, want %d or more; node log:\n%s", len(got), n, b.Node.LogTail(30))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// spoolSums returns the SHA-256 of every spooled segment, by name.
func spoolSums(t testing.TB, b *Bed) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range b.Spooled(t) {
		data, err := os.ReadFile(filepath.Join(b.SpoolDir, n))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		out[n] = hex.EncodeToString(sum[:])
	}
	return out
}

// TestArchDrainSync: with archiving on, writes fill several 1 MiB
// segments, which Cassandra hands to `medusa commitlog archive` as they
// close; `nodetool drain` hands over the partly filled tail. `medusa
// commitlog sync --once` uploads them all: each has its sidecar, the
// SHA-256 of the spooled file, and the ids of the run are contiguous. The
// hook run again on an archived segment changes nothing, and a second sync
// uploads nothing.
func TestArchDrainSync(t *testing.T) {
	b := PitrBed(t)
	s := b.Session(t, "")
	archKeyspace(t, s, "arch_drain")
	before := len(b.Spooled(t))
	archWrite(t, s, "arch_drain", 0, 3000)
	waitSpooled(t, b, before+2)

	if _, err := b.Node.Nodetool(t.Context(), "drain"); err != nil {
		t.Fatalf("nodetool drain: %v", err)
	}
	// The drain hands the tail over on the archiver thread; wait for it.
	time.Sleep(2 * time.Second)
	if err := b.Node.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { restart(t, b) })
	sums := spoolSums(t, b)
	nodeLog := b.Node.LogTail(1 << 20)
	for n := range sums {
		if strings.Contains(nodeLog, "archiving of file "+n) {
			t.Errorf("Cassandra logged a failed archive of %s", n)
		}
	}
	if len(sums) < 3 {
		t.Fatalf("%d segments spooled after drain, want 3 or more", len(sums))
	}
	names := make([]string, 0, len(sums))
	for n := range sums {
		names = append(names, n)
	}
	// The hook again for a spooled segment (as at a restart after a
	// crash): success, silent, no duplicate.
	sort.Strings(names)
	cl := t.TempDir()
	if err := os.Link(filepath.Join(b.SpoolDir, names[0]), filepath.Join(cl, names[0])); err != nil {
		t.Fatal(err)
	}
	ini := b.WriteINI(t, map[string]map[string]string{"cassandra": {"commitlog_spool_dir": b.SpoolDir}})
	for range 2 {
		again := b.RunINI(t, ini, "commitlog", "archive", filepath.Join(cl, names[0]), names[0])
		if again.Code != 0 || again.Out() != "" {
			t.Errorf("archive of a spooled segment: exit %d, output %q", again.Code, again.Out())
		}
	}

	res := b.MustRun(t, "commitlog", "sync", "--once")
	t.Logf("sync of %d segments took %v", len(sums), res.Took)
	if left := b.Spooled(t); len(left) != 0 {
		t.Errorf("spool after sync: %v", left)
	}
	entries, _ := os.ReadDir(b.SpoolDir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".dup-") {
			t.Errorf("duplicate spooled: %s", e.Name())
		}
	}
	st := b.Storage(t)
	segs, err := commitlog.List(t.Context(), st, b.FQDN)
	if err != nil {
		t.Fatal(err)
	}
	archived := map[string]commitlog.SegmentInfo{}
	for _, g := range segs {
		archived[g.Name] = g
	}
	var run []commitlog.SegmentInfo
	for n, sum := range sums {
		g, ok := archived[n]
		if !ok {
			t.Errorf("%s was spooled but is not archived", n)
			continue
		}
		if g.SHA256 != sum {
			t.Errorf("%s: sidecar SHA-256 %s, spooled file %s", n, g.SHA256, sum)
		}
		if g.Codec != commitlog.CodecZstd || g.StoredSize >= g.RawSize || g.JVMRun == "" {
			t.Errorf("%s: sidecar %+v", n, g)
		}
		run = append(run, g)
	}
	sort.Slice(run, func(i, j int) bool { return run[i].ID < run[j].ID })
	for i := 1; i < len(run); i++ {
		if run[i].ID != run[i-1].ID+1 || run[i].JVMRun != run[0].JVMRun {
			t.Errorf("segment ids not contiguous in one run: %d (%s) after %d (%s)",
				run[i].ID, run[i].JVMRun, run[i-1].ID, run[i-1].JVMRun)
		}
		if run[i].FirstWriteMs != run[i-1].MtimeMs {
			t.Errorf("%s: first write %d, want the previous segment's mtime %d", run[i].Name, run[i].FirstWriteMs, run[i-1].MtimeMs)
		}
	}
	if g := commitlog.Gaps(segs); len(g) != 0 {
		t.Errorf("gaps: %v", g)
	}
	// Every archived segment downloads back to the same bytes, with a valid header.
	for _, g := range run {
		dst := filepath.Join(t.TempDir(), g.Name)
		if err := commitlog.Fetch(t.Context(), st, b.FQDN, g, dst); err != nil {
			t.Errorf("fetch %s: %v", g.Name, err)
		}
	}
	for _, k := range []string{"meta", ".dup", "conflict"} {
		for _, g := range segs {
			if strings.Contains(commitlog.SegmentKey(b.FQDN, g), k) {
				t.Errorf("key %s contains %q", commitlog.SegmentKey(b.FQDN, g), k)
			}
		}
	}
	if res := b.MustRun(t, "commitlog", "sync", "--once"); !strings.Contains(res.Out(), "uploaded=0") {
		t.Errorf("second sync uploaded something:\n%s", res.Out())
	}
	list := b.MustRun(t, "commitlog", "list")
	if !strings.Contains(list.Stdout, fmt.Sprintf("%d archived segments", len(segs))) || strings.Contains(list.Stdout, "GAP") {
		t.Errorf("commitlog list:\n%s", list.Stdout)
	}
	t.Logf("commitlog list:\n%s", list.Stdout)
}

// restart starts the node again after a test stopped it.
func restart(t testing.TB, b *Bed) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := b.Node.Start(ctx); err != nil {
		t.Errorf("restart the node: %v\n%s", err, b.Node.LogTail(30))
	}
}
