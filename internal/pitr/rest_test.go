package pitr

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/medusa-go/medusa/internal/commitlog"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/testbed"
)

// restKS is the keyspace of the restore scenario; restBatch rows of about
// 1 KiB (1.5 MiB) per batch make the 1 MiB segments switch during each.
const (
	restKS    = "rest_pitr"
	restBatch = 1500
)

// Keys of the scenario: batch i writes rows restBase[i] .. +restBatch-1;
// restAtT is stamped exactly at the target T, restAfterT at T+1 µs.
var restBase = [3]int{0, 10_000, 20_000}

const (
	restAtT    = 50_000
	restAfterT = 50_001
)

// restWrite upserts rows from..from+n-1 of table tbl with write timestamp
// ts (µs).
func restWrite(t *testing.T, s *gocql.Session, tbl string, from, n int, ts int64) {
	t.Helper()
	if err := testbed.WriteStamped(t.Context(), s, restKS+"."+tbl, from, n, ts, gocql.One); err != nil {
		t.Fatal(err)
	}
}

// restRows returns which of keys exist in rest_pitr.t, and the row count.
func restRows(t *testing.T, s *gocql.Session, keys ...int) (present map[int]bool, count int) {
	t.Helper()
	if err := s.Query("SELECT count(*) FROM " + restKS + ".t").WithContext(t.Context()).Scan(&count); err != nil {
		t.Fatal(err)
	}
	present = map[int]bool{}
	for _, k := range keys {
		var got int
		err := s.Query("SELECT k FROM "+restKS+".t WHERE k = ?", k).WithContext(t.Context()).Scan(&got)
		switch {
		case err == nil:
			present[k] = true
		case err != gocql.ErrNotFound:
			t.Fatal(err)
		}
	}
	return present, count
}

// restExpect checks which batches and marker rows are there, and the
// extras of trunc_test.go.
func restExpect(t *testing.T, b *Bed, what string, batches [3]bool, atT, afterT bool, extra truncWant) {
	t.Helper()
	var keys []int
	for i := range restBase {
		keys = append(keys, restBase[i], restBase[i]+restBatch/2, restBase[i]+restBatch-1)
	}
	keys = append(keys, restAtT, restAfterT)
	s := b.Session(t, "")
	present, count := restRows(t, s, keys...)
	want := 0
	for i, on := range batches {
		for _, k := range keys[3*i : 3*i+3] {
			if present[k] != on {
				t.Errorf("%s: row %d of batch %d present=%v, want %v", what, k, i+1, present[k], on)
			}
		}
		if on {
			want += restBatch
		}
	}
	if present[restAtT] != atT || present[restAfterT] != afterT {
		t.Errorf("%s: row at T present=%v (want %v), row at T+1µs present=%v (want %v)", what,
			present[restAtT], atT, present[restAfterT], afterT)
	}
	for _, on := range []bool{atT, afterT} {
		if on {
			want++
		}
	}
	want += truncExpect(t, what, s, extra)
	if count != want {
		t.Errorf("%s: %d rows, want %d", what, count, want)
	}
}

// restSynced syncs the spool until the newest archived write is after
// after: the segments holding every write before it are then archived.
func restSynced(t *testing.T, b *Bed, after time.Time) []commitlog.SegmentInfo {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		b.MustRun(t, "commitlog", "sync", "--once")
		segs, err := commitlog.List(t.Context(), b.Storage(t), b.FQDN)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(segs); n > 0 && segs[n-1].Mtime().After(after) {
			return segs
		}
		if time.Now().After(deadline) {
			t.Fatalf("no segment written after %s archived within 60 s (%d archived)", after, len(segs))
		}
		time.Sleep(time.Second)
	}
}

func pitrArg(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// TestRestPointInTime is the point-in-time restore scenario: a backup,
// then three batches written with explicit timestamps T1 < T2 < T3, the
// segments switching during each, one row stamped exactly at T (between
// T2 and T3) and one at T+1 µs. Before T a row of batch 1 is deleted,
// another updated, and a row stamped an hour ahead written; after T that
// row is updated again, a table holding rows from before T truncated, and
// a row stamped before T written (trunc_test.go).
//   - A segment missing from the bucket refuses the restore before
//     Cassandra is stopped (same process), naming the missing id.
//   - restore-node --pitr T brings batches 1 and 2 and the row at T, not
//     batch 3 nor the row at T+1 µs; the delete and the first update, not
//     the row stamped ahead nor the second update; the back-dated row; the
//     truncated table whole. The properties file is as before and a
//     restart replays nothing more.
//   - restore-node --pitr after T3 brings everything back (the abandoned
//     timeline: the segments written after the first restore are left
//     out) with the second update, but not the row stamped ahead; the
//     truncated table is whole again (a TRUNCATE after the base backup is
//     not replayed).
//   - --pitr-latest needs a backup taken after the restores; with one it
//     brings the writes made since.
func TestRestPointInTime(t *testing.T) {
	b := PitrBed(t)
	s := b.Session(t, "")
	Exec(t, s, "CREATE KEYSPACE IF NOT EXISTS "+restKS+
		" WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE IF NOT EXISTS "+restKS+".t (k int PRIMARY KEY, v text)",
		"CREATE TABLE IF NOT EXISTS "+restKS+".filler (k int PRIMARY KEY, v text)")
	truncSchema(t, s)
	b.MustRun(t, "backup", "--backup-name", "rest_b1", "--mode", "full")
	meta, err := commitlog.ReadMeta(t.Context(), b.Storage(t), layout.New(""), b.FQDN, "rest_b1")
	if err != nil {
		t.Fatalf("the backup has no usable pitr.json: %v", err)
	}

	stamp := func() int64 { time.Sleep(5 * time.Millisecond); return time.Now().UnixMicro() }
	restWrite(t, s, "t", restBase[0], restBatch, stamp())
	restWrite(t, s, "t", restBase[1], restBatch, stamp())
	truncBeforeT(t, s, stamp)
	target := stamp()
	restWrite(t, s, "t", restAtT, 1, target)
	restWrite(t, s, "t", restAfterT, 1, target+1)
	time.Sleep(5 * time.Millisecond)
	truncAfterT(t, s, target, stamp)
	restWrite(t, s, "t", restBase[2], restBatch, stamp())
	afterT3 := time.UnixMicro(stamp())
	// More writes (another table, later) push batch 3 out of the active
	// segment, so that it is archived.
	restWrite(t, s, "filler", 0, restBatch, stamp())
	segs := restSynced(t, b, afterT3)
	props, err := os.ReadFile(b.PropertiesFile)
	if err != nil {
		t.Fatal(err)
	}
	T := time.UnixMicro(target).UTC()
	// After a restore to T: the first update, no row stamped ahead (an
	// hour is after every time restored to), rest_pitr.tr whole (its
	// TRUNCATE is after T).
	truncAtT := truncWant{Value: truncOld, TrRows: truncTrBefore + truncTrAfter}
	// After T3 the second update is there, and tr is whole again: a
	// TRUNCATE is not in the commit log, only in system.local, which the
	// restore takes from the base backup (taken before the TRUNCATE).
	truncAfterT3 := truncWant{Value: truncNew, TrRows: truncTrBefore + truncTrAfter}
	t.Logf("target %s; %d segments archived; base active segments %v", pitrArg(T), len(segs), meta.ActiveSegments)

	t.Run("dry run", func(t *testing.T) {
		pid := b.Node.PID()
		res := b.MustRun(t, "restore-node", "--pitr", pitrArg(T), "--dry-run")
		for _, want := range []string{"backup rest_b1", "Point in time: " + T.Format("2006-01-02T15:04:05.000000Z"),
			"restore_point_in_time: " + commitlog.FormatPIT(T), "Dry run: nothing was downloaded"} {
			if !strings.Contains(res.Stdout, want) {
				t.Errorf("dry run output lacks %q:\n%s", want, res.Out())
			}
		}
		if got := b.Node.PID(); got != pid || pid == 0 {
			t.Errorf("Cassandra process %d before the dry run, %d after", pid, got)
		}
	})

	t.Run("missing segment refused before the stop", func(t *testing.T) {
		minID, ok := meta.MinActiveID()
		if !ok {
			t.Fatal("pitr.json lists no active segment")
		}
		var victim *commitlog.SegmentInfo
		for i := range segs {
			if segs[i].ID == minID+1 && i+1 < len(segs) && segs[i+1].ID == minID+2 {
				victim = &segs[i]
			}
		}
		if victim == nil {
			t.Fatalf("no segment after the base's first one to remove (%d archived from id %d)", len(segs), minID)
		}
		st := b.Storage(t)
		key := commitlog.SegmentKey(b.FQDN, *victim)
		rc, _, err := st.Get(t.Context(), key, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Delete(t.Context(), key); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if _, err := st.Put(context.Background(), key, bytes.NewReader(data)); err != nil {
				t.Errorf("put %s back: %v", key, err)
			}
		})
		pid := b.Node.PID()
		res := b.Run(t, "restore-node", "--pitr", pitrArg(T))
		if res.Code == 0 {
			t.Fatalf("restore with a segment missing succeeded:\n%s", res.Out())
		}
		if !strings.Contains(res.Out(), "segment id "+strconv.FormatInt(victim.ID, 10)) {
			t.Errorf("the refusal does not name segment id %d:\n%s", victim.ID, res.Out())
		}
		if got := b.Node.PID(); got != pid || pid == 0 {
			t.Errorf("Cassandra process %d before, %d after: it was touched", pid, got)
		}
		restExpect(t, b, "after the refusal", [3]bool{true, true, true}, true, true,
			truncWant{Future: true, Value: truncNew, TrRows: 0})
	})

	t.Run("restore between T2 and T3", func(t *testing.T) {
		res := b.MustRun(t, "restore-node", "--pitr", pitrArg(T))
		t.Logf("restore-node --pitr took %v:\n%s", res.Took, res.Stdout)
		if !strings.Contains(res.Stdout, "base backup rest_b1") || !strings.Contains(res.Stdout, "mutations replayed") {
			t.Errorf("restore-node output:\n%s", res.Out())
		}
		if strings.Contains(res.Stdout, "unknown (see system.log) mutations") {
			t.Errorf("the replay count was not found in system.log:\n%s", res.Out())
		}
		restExpect(t, b, "restored to T", [3]bool{true, true, false}, true, false, truncAtT)
		restPropsReset(t, b, props)
		ms, err := commitlog.ListMarkers(t.Context(), b.Storage(t), b.FQDN)
		if err != nil || len(ms) != 1 || !ms[0].Target.Equal(T) || ms[0].BaseBackup != "rest_b1" {
			t.Errorf("timeline markers after the restore: %+v, %v", ms, err)
		}
		if list := b.MustRun(t, "commitlog", "list"); !strings.Contains(list.Stdout, "RESTORED at") ||
			strings.Contains(list.Stdout, "GAP") {
			t.Errorf("commitlog list after the restore:\n%s", list.Out())
		}

		sysLog := filepath.Join(b.Node.LogDir, "system.log")
		mark := logSize(sysLog)
		if err := b.Node.Stop(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := b.Node.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		restExpect(t, b, "restored to T, then restarted", [3]bool{true, true, false}, true, false, truncAtT)
		restPropsReset(t, b, props)
		replay := replayLines(t, sysLog, mark)
		t.Logf("the restart's replay: %q", replay)
		for _, l := range replay {
			if !strings.Contains(l, "No commitlog files found") && !strings.Contains(l, " 0 replayed mutations") {
				t.Errorf("the restart after the restore replayed again: %s", l)
			}
		}
	})

	t.Run("restore after T3", func(t *testing.T) {
		res := b.MustRun(t, "restore-node", "--pitr", pitrArg(afterT3))
		t.Logf("restore-node --pitr took %v:\n%s", res.Took, res.Stdout)
		restExpect(t, b, "restored to after T3", [3]bool{true, true, true}, true, true, truncAfterT3)
		restPropsReset(t, b, props)
	})
	t.Run("restore to the newest archived write", func(t *testing.T) {
		// After a point-in-time restore only a backup taken since can be
		// the base of a later time (the older ones hold the abandoned
		// timeline).
		if res := b.Run(t, "restore-node", "--pitr-latest", "--dry-run"); res.Code == 0 ||
			!strings.Contains(res.Out(), "take a backup after a point-in-time restore") &&
				!strings.Contains(res.Out(), "no segment was archived since the point-in-time restore") {
			t.Errorf("--pitr-latest without a backup since the restore:\n%s", res.Out())
		}
		b.MustRun(t, "backup", "--backup-name", "rest_b2", "--mode", "differential")
		restWrite(t, s2(t, b), "filler", restBatch, restBatch, time.Now().UnixMicro())
		written := time.Now()
		// A later batch pushes the first out of the active segment.
		restWrite(t, s2(t, b), "filler", 2*restBatch, restBatch, time.Now().UnixMicro())
		restSynced(t, b, written)
		res := b.MustRun(t, "restore-node", "--pitr-latest")
		t.Logf("restore-node --pitr-latest took %v:\n%s", res.Took, res.Stdout)
		if !strings.Contains(res.Stdout, "(newest archived write)") || !strings.Contains(res.Stdout, "base backup rest_b2") {
			t.Errorf("restore-node output:\n%s", res.Out())
		}
		restExpect(t, b, "restored to the newest archived write", [3]bool{true, true, true}, true, true, truncAfterT3)
		var n int
		if err := s2(t, b).Query("SELECT count(*) FROM " + restKS + ".filler").WithContext(t.Context()).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n < restBatch {
			t.Errorf("%d filler rows after --pitr-latest, want %d or more", n, restBatch)
		}
		for _, k := range []int{restBatch, 2*restBatch - 1} {
			var got int
			if err := s2(t, b).Query("SELECT k FROM "+restKS+".filler WHERE k = ?", k).WithContext(t.Context()).
				Scan(&got); err != nil {
				t.Errorf("filler row %d (written after rest_b2, archived) after --pitr-latest: %v", k, err)
			}
		}
		restPropsReset(t, b, props)
	})
}

// restPropsReset checks that the properties file is as before the restore
// and that nothing of the restore is left in the commit log directory.
func restPropsReset(t *testing.T, b *Bed, want []byte) {
	t.Helper()
	got, err := os.ReadFile(b.PropertiesFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("properties file after the restore:\n%s\nwant:\n%s", got, want)
	}
	cl := filepath.Dir(b.SpoolDir)
	for _, p := range []string{b.PropertiesFile + ".medusa-bak", filepath.Join(cl, commitlog.DefaultRestoreName)} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s left after the restore", p)
		}
	}
}

// s2 opens a new session (the node was restarted since the test's first).
func s2(t *testing.T, b *Bed) *gocql.Session { return b.Session(t, "") }

func logSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// replayLines returns the commit log replay lines system.log got since
// offset.
func replayLines(t *testing.T, path string, offset int64) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(data)) < offset {
		offset = 0
	}
	var out []string
	for _, l := range strings.Split(string(data[offset:]), "\n") {
		if strings.Contains(l, "replayed mutations") || strings.Contains(l, "No commitlog files found") {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return out
}
