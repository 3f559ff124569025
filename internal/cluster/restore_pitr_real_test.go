package cluster_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/medusa-go/medusa/internal/commitlog"
	"github.com/medusa-go/medusa/internal/testbed"
)

// The keyspaces of the point-in-time scenario: cpitr (replication factor
// 1: each row lives on one node, so it can only come back from that
// node's own commit log) and cpitr_fill (factor 3: its rows push the
// batches out of every node's active segment).
const (
	cpitrKS    = "cpitr"
	cpitrFill  = "cpitr_fill"
	cpitrBatch = 900
	// cpitrFillRows of about 1 KiB each fill more than one 1 MiB segment
	// on every node.
	cpitrFillRows = 1300
)

// Batch i writes keys cpitrBase[i] .. +cpitrBatch-1; the row at key
// cpitrAtT is stamped exactly at the target T, the one at cpitrAfterT 1 µs
// later.
var cpitrBase = [3]int{0, 10_000, 20_000}

const (
	cpitrAtT    = 50_000
	cpitrAfterT = 50_001
)

// cpitrWrite upserts keys from..from+n-1 of ks.t with write timestamp ts
// (µs) at consistency cl.
func cpitrWrite(t *testing.T, ctx context.Context, s *gocql.Session, ks string, from, n int, ts int64, cl gocql.Consistency) {
	t.Helper()
	if err := testbed.WriteStamped(ctx, s, ks+".t", from, n, ts, cl); err != nil {
		t.Fatal(err)
	}
}

// cpitrTokens maps every key of cpitr.t to its token.
func cpitrTokens(t *testing.T, ctx context.Context, s *gocql.Session) map[int]int64 {
	t.Helper()
	out := map[int]int64{}
	iter := s.Query("SELECT k, token(k) FROM " + cpitrKS + ".t").PageSize(5000).IterContext(ctx)
	var k int
	var tok int64
	for iter.Scan(&k, &tok) {
		out[k] = tok
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// ring maps each token of the cluster to the node (0-based) owning the
// range that ends at it.
type ring struct {
	tokens []int64
	owner  map[int64]int
}

func clusterRing(t *testing.T, b *testbed.ClusterBed) ring {
	t.Helper()
	r := ring{owner: map[int64]int{}}
	for i, n := range b.Nodes() {
		for _, s := range nodeTokens(t, n) {
			tok, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				t.Fatalf("token %q of %s: %v", s, n.Host, err)
			}
			r.tokens = append(r.tokens, tok)
			r.owner[tok] = i
		}
	}
	slices.Sort(r.tokens)
	return r
}

// node returns the node (0-based) whose range holds tok: the one with the
// first token at or after it, wrapping around.
func (r ring) node(tok int64) int {
	i, _ := slices.BinarySearch(r.tokens, tok)
	if i == len(r.tokens) {
		i = 0
	}
	return r.owner[r.tokens[i]]
}

// cpitrLatest syncs every node's spool until the newest write archived
// for each node is after after, and returns how many segments each has.
func cpitrLatest(t *testing.T, ctx context.Context, b *testbed.ClusterBed, after time.Time) []int {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	counts := make([]int, len(b.Nodes()))
	for {
		behind := 0
		for i := range b.Nodes() {
			if _, stderr, err := b.MedusaOn(ctx, i+1, "commitlog", "sync", "--once"); err != nil {
				t.Fatalf("commitlog sync on node %d: %v\n%s", i+1, err, stderr)
			}
			out, stderr, err := b.MedusaOn(ctx, i+1, "commitlog", "list", "--output", "json")
			if err != nil {
				t.Fatalf("commitlog list on node %d: %v\n%s", i+1, err, stderr)
			}
			var l struct {
				Count  int        `json:"count"`
				Latest *time.Time `json:"latest"`
			}
			if err := json.Unmarshal([]byte(out), &l); err != nil {
				t.Fatalf("commitlog list --output json on node %d: %v\n%s", i+1, err, out)
			}
			counts[i] = l.Count
			if l.Latest == nil || !l.Latest.After(after) {
				behind++
			}
		}
		if behind == 0 {
			return counts
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d nodes have no segment written after %s archived within 60 s (segments archived: %v)",
				behind, after.Format(time.RFC3339Nano), counts)
		}
		time.Sleep(time.Second)
	}
}

// replayedRE reads restore-cluster's per-node summary line.
var replayedRE = regexp.MustCompile(`(?m)^  (127\.0\.0\.\d+): done in .*, (\d+) mutations replayed$`)

// TestRestoreClusterPITR: restore-cluster --pitr on the 3-node bed, which
// runs with commit log archiving on. A backup-cluster, then three batches
// stamped T1 < T2 < T3 (replication factor 1: every node holds part of
// each batch and only its own commit log has it), a row stamped exactly at
// T (between T2 and T3) and one at T+1 µs; more writes on every node push
// the batches into archived segments. A dry run changes nothing; the
// restore to T (no --backup-name: the planner picks the base) brings
// batches 1 and 2 and the row at T back on every node, not batch 3 nor the
// row at T+1 µs; the cluster is 3 UN, every node's properties file is as
// before, and each node reports the mutations it replayed (at least its
// own rows of batches 1 and 2).
func TestRestoreClusterPITR(t *testing.T) {
	b := testbed.SharedCluster(t)
	if !b.CommitlogArchiving() {
		t.Fatal("the shared cluster bed runs without commit log archiving (ClusterBedOptions.CommitlogArchiving)")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	began := time.Now()
	s, err := b.Node(1).NewSession("")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t.Cleanup(func() {
		// The other tests of the package neither expect these rows nor
		// should back them up.
		s, err := b.Node(1).NewSession("")
		if err != nil {
			t.Errorf("drop the scenario's keyspaces: %v", err)
			return
		}
		defer s.Close()
		for _, ks := range []string{cpitrKS, cpitrFill} {
			if err := s.Query("DROP KEYSPACE IF EXISTS " + ks).Exec(); err != nil {
				t.Errorf("drop keyspace %s: %v", ks, err)
			}
		}
	})
	for _, q := range []string{
		"CREATE KEYSPACE IF NOT EXISTS " + cpitrKS + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE IF NOT EXISTS " + cpitrKS + ".t (k int PRIMARY KEY, v text)",
		"CREATE KEYSPACE IF NOT EXISTS " + cpitrFill + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}",
		"CREATE TABLE IF NOT EXISTS " + cpitrFill + ".t (k int PRIMARY KEY, v text)",
	} {
		if err := s.Query(q).ExecContext(ctx); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	const base = "cpitr-base"
	if out, stderr, err := b.Medusa(ctx, "backup-cluster", "--backup-name", base); err != nil {
		t.Fatalf("backup-cluster: %v\n%s\n%s", err, out, stderr)
	}
	backedUp := time.Since(began)

	stamp := func() int64 { time.Sleep(5 * time.Millisecond); return time.Now().UnixMicro() }
	cpitrWrite(t, ctx, s, cpitrKS, cpitrBase[0], cpitrBatch, stamp(), gocql.One)
	cpitrWrite(t, ctx, s, cpitrKS, cpitrBase[1], cpitrBatch, stamp(), gocql.One)
	target := stamp()
	cpitrWrite(t, ctx, s, cpitrKS, cpitrAtT, 1, target, gocql.One)
	cpitrWrite(t, ctx, s, cpitrKS, cpitrAfterT, 1, target+1, gocql.One)
	cpitrWrite(t, ctx, s, cpitrKS, cpitrBase[2], cpitrBatch, stamp(), gocql.One)
	afterT3 := time.UnixMicro(stamp())
	cpitrWrite(t, ctx, s, cpitrFill, 0, cpitrFillRows, stamp(), gocql.All)
	segs := cpitrLatest(t, ctx, b, afterT3)
	written := time.Since(began)
	T := time.UnixMicro(target).UTC()

	// Which node holds each key; every batch must be on every node.
	r := clusterRing(t, b)
	owner := map[int]int{}
	for k, tok := range cpitrTokens(t, ctx, s) {
		owner[k] = r.node(tok)
	}
	if len(owner) != 3*cpitrBatch+2 {
		t.Fatalf("%d rows before the restore, want %d", len(owner), 3*cpitrBatch+2)
	}
	batchOf := func(k int) int {
		for i, from := range cpitrBase {
			if k >= from && k < from+cpitrBatch {
				return i
			}
		}
		return -1
	}
	var held [3][3]int // held[node][batch]
	for k, n := range owner {
		if i := batchOf(k); i >= 0 {
			held[n][i]++
		}
	}
	for n := range held {
		for i, c := range held[n] {
			if c == 0 {
				t.Fatalf("%s holds no row of batch %d (rows per node and batch: %v)", b.Hosts()[n], i+1, held)
			}
		}
	}
	props := make([][]byte, len(b.Nodes()))
	for i := range b.Nodes() {
		if props[i], err = os.ReadFile(b.PropertiesFile(i + 1)); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("target %s; rows per node and batch %v; segments archived per node %v", T.Format(time.RFC3339Nano), held, segs)

	pids := []int{b.Node(1).PID(), b.Node(2).PID(), b.Node(3).PID()}
	out, stderr, err := b.Medusa(ctx, "restore-cluster", "--pitr", T.Format(time.RFC3339Nano), "--dry-run")
	if err != nil {
		t.Fatalf("restore-cluster --pitr --dry-run: %v\n%s\n%s", err, out, stderr)
	}
	for _, w := range []string{"Base backup for the point-in-time restore: " + base,
		"Point in time: " + T.Format("2006-01-02T15:04:05.000000Z"), "Mode: in-place", "nothing was changed"} {
		if !strings.Contains(out, w) {
			t.Errorf("dry run output lacks %q:\n%s", w, out)
		}
	}
	for _, h := range b.Hosts() {
		if !strings.Contains(out, "  "+h+": base "+base+", ") {
			t.Errorf("dry run output has no point-in-time plan for %s:\n%s", h, out)
		}
	}
	if now := []int{b.Node(1).PID(), b.Node(2).PID(), b.Node(3).PID()}; fmt.Sprint(now) != fmt.Sprint(pids) {
		t.Errorf("Cassandra PIDs %v became %v in the dry run", pids, now)
	}

	restoreBegan := time.Now()
	out, stderr, err = b.Medusa(ctx, "restore-cluster", "--pitr", T.Format(time.RFC3339Nano), "-y")
	took := time.Since(restoreBegan)
	if err != nil {
		t.Fatalf("restore-cluster --pitr: %v\n%s\n%s\n%s", err, out, stderr, b.LogTails(30))
	}
	t.Logf("restore-cluster --pitr took %s:\n%s", took.Round(100*time.Millisecond), out)

	status, err := b.Node(1).Nodetool(ctx, "status")
	if err != nil {
		t.Fatal(err)
	}
	if n := testbed.CountUN(status); n != 3 {
		t.Errorf("nodetool status shows %d UN, want 3:\n%s", n, status)
	}
	s2, err := b.Node(1).NewSession("")
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	present := cpitrTokens(t, ctx, s2)
	var got [3][3]int
	for k := range present {
		if i := batchOf(k); i >= 0 {
			got[owner[k]][i]++
		}
	}
	for n, h := range b.Hosts() {
		for i, want := range [3]bool{true, true, false} {
			if c := got[n][i]; want && c != held[n][i] || !want && c != 0 {
				t.Errorf("%s: %d of its %d rows of batch %d after the restore, want %d", h, c, held[n][i], i+1,
					map[bool]int{true: held[n][i], false: 0}[want])
			}
		}
	}
	if _, ok := present[cpitrAtT]; !ok {
		t.Errorf("the row stamped at T (on %s) is missing", b.Hosts()[owner[cpitrAtT]])
	}
	if _, ok := present[cpitrAfterT]; ok {
		t.Errorf("the row stamped at T+1 µs (on %s) is there", b.Hosts()[owner[cpitrAfterT]])
	}

	replayed := map[string]int{}
	for _, m := range replayedRE.FindAllStringSubmatch(out, -1) {
		replayed[m[1]], _ = strconv.Atoi(m[2])
	}
	for n, h := range b.Hosts() {
		c, ok := replayed[h]
		own := held[n][0] + held[n][1]
		switch {
		case !ok:
			t.Errorf("restore-cluster reports no replayed mutation count for %s:\n%s", h, out)
		case c < own:
			t.Errorf("%s replayed %d mutations, fewer than its %d rows of batches 1 and 2", h, c, own)
		}
		cur, err := os.ReadFile(b.PropertiesFile(n + 1))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(cur, props[n]) {
			t.Errorf("%s: properties file after the restore:\n%s\nwant:\n%s", h, cur, props[n])
		}
		for _, p := range []string{b.PropertiesFile(n+1) + ".medusa-bak",
			filepath.Join(b.Node(n+1).CommitlogDir, commitlog.DefaultRestoreName)} {
			if _, err := os.Stat(p); err == nil {
				t.Errorf("%s: %s left after the restore", h, p)
			}
		}
	}
	t.Logf("replayed mutations per node %v; rows per node and batch after the restore %v", replayed, got)
	t.Logf("seconds: backup-cluster %.1f, writes and archive %.1f, restore-cluster --pitr %.1f, whole test %.1f",
		backedUp.Seconds(), (written - backedUp).Seconds(), took.Seconds(), time.Since(began).Seconds())
}
