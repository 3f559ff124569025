package pitr

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/medusa-go/medusa/internal/app"
	"github.com/medusa-go/medusa/internal/commitlog"
	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/testbed"
)

// winStore is the bucket as one medusa.ini of a win test sees it: raw
// (keys with the prefix) and rooted at its prefix (commitlog keys).
type winStore struct {
	ini    string
	raw    storage.Backend
	rooted storage.Backend
	l      layout.Layout
}

// winOpen writes a variant of the bed's medusa.ini under its own [storage]
// prefix (so that the test sees only its own backups and segments), with
// extra keys, and opens its storage.
func winOpen(t *testing.T, b *Bed, prefix string, extra map[string]map[string]string) winStore {
	t.Helper()
	if extra == nil {
		extra = map[string]map[string]string{}
	}
	if extra["storage"] == nil {
		extra["storage"] = map[string]string{}
	}
	extra["storage"]["prefix"] = prefix
	ini := b.WriteINI(t, extra)
	cfg, _, err := config.Load(t.Context(), ini, config.Overrides{}, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := app.New(cfg, nil).Storage(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	l := layout.New(prefix)
	return winStore{ini: ini, raw: raw, rooted: commitlog.Under(raw, l.KeyPrefix()), l: l}
}

// winSegments writes 1,200 rows of about 1 KiB (more than one 1 MiB
// segment) into ks.t from row from, waits until Cassandra has handed a
// closed segment to the archive command, then syncs the spool into the
// store of st.
func winSegments(t *testing.T, b *Bed, st winStore, s *gocql.Session, ks string, from int) {
	t.Helper()
	before := len(b.Spooled(t))
	archWrite(t, s, ks, from, 1200)
	waitSpooled(t, b, before+1)
	winMust(t, b, st.ini, "commitlog", "sync", "--once")
}

func winMust(t *testing.T, b *Bed, ini string, args ...string) Result {
	t.Helper()
	res := b.RunINI(t, ini, args...)
	if res.Code != 0 {
		t.Fatalf("medusa %s: exit %d\n%s", strings.Join(args, " "), res.Code, res.Out())
	}
	return res
}

// winKeys returns the keys under <fqdn>/commitlogs/, sorted.
func winKeys(t *testing.T, st winStore, fqdn string) []string {
	t.Helper()
	var keys []string
	for o, err := range st.rooted.List(t.Context(), commitlog.NodeDir(fqdn)) {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, o.Key)
	}
	slices.Sort(keys)
	return keys
}

func winSegs(t *testing.T, st winStore, fqdn string) []commitlog.SegmentInfo {
	t.Helper()
	segs, err := commitlog.ListKeys(t.Context(), st.rooted, fqdn)
	if err != nil {
		t.Fatal(err)
	}
	return segs
}

func winMeta(t *testing.T, st winStore, fqdn, backup string) commitlog.PitrMeta {
	t.Helper()
	m, err := commitlog.ReadMeta(t.Context(), st.raw, st.l, fqdn, backup)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Archiving {
		t.Fatalf("pitr.json of %s says archiving was off: %+v", backup, m)
	}
	return m
}

// winWindow runs list-backups --output json and returns the pitr_window
// of fqdn's node entries (nil when there is none).
func winWindow(t *testing.T, b *Bed, st winStore, fqdn string) map[string]any {
	t.Helper()
	res := winMust(t, b, st.ini, "list-backups", "--output", "json")
	var list []struct {
		Nodes []struct {
			FQDN   string         `json:"fqdn"`
			Window map[string]any `json:"pitr_window"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &list); err != nil {
		t.Fatalf("list-backups --output json: %v\n%s", err, res.Stdout)
	}
	var w map[string]any
	for _, cb := range list {
		for _, n := range cb.Nodes {
			if n.FQDN == fqdn {
				w = n.Window
			}
		}
	}
	return w
}

func winUs(us int64) string { return time.UnixMicro(us).UTC().Format("2006-01-02T15:04:05.000000Z") }

func winMs(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000000Z") }

// TestWinRetentionAndWindow: on the real node and S3 server, with
// archiving on, backups w1 and w2 with segments archived before, between
// and after them. list-backups shows the window from the end of w1's
// snapshot to the last write of the newest segment, without a gap. Then
// `purge` with max_backup_count = 1 and retention_grace = 0s deletes w1
// and exactly the segments w2 does not need (id below the smallest active
// at its snapshot and last written before it started), sidecars included;
// the window then starts at w2.
func TestWinRetentionAndWindow(t *testing.T) {
	b := PitrBed(t)
	st := winOpen(t, b, "winret", map[string]map[string]string{
		"storage": {"max_backup_count": "1"}, "cassandra": {"commitlog_retention_grace": "0s"}})
	s := b.Session(t, "")
	archKeyspace(t, s, "win_ret")
	began := time.Now()
	winSegments(t, b, st, s, "win_ret", 0)
	winMust(t, b, st.ini, "backup", "--backup-name", "w1")
	winSegments(t, b, st, s, "win_ret", 1200)
	winMust(t, b, st.ini, "backup", "--backup-name", "w2")
	winSegments(t, b, st, s, "win_ret", 2400)
	t.Logf("two backups and three batches of segments took %v", time.Since(began).Round(time.Millisecond))

	m1, m2 := winMeta(t, st, b.FQDN, "w1"), winMeta(t, st, b.FQDN, "w2")
	segs := winSegs(t, st, b.FQDN)
	var newest int64
	for _, g := range segs {
		newest = max(newest, g.MtimeMs)
	}
	w := winWindow(t, b, st, b.FQDN)
	if w == nil || w["earliest"] != winUs(m1.SnapshotTakenUs) || w["latest"] != winMs(newest) ||
		len(w["gaps"].([]any)) != 0 || w["segments"] != float64(len(segs)) {
		t.Fatalf("pitr_window %v; want earliest %s (end of w1's snapshot), latest %s, no gap, %d segments",
			w, winUs(m1.SnapshotTakenUs), winMs(newest), len(segs))
	}
	text := winMust(t, b, st.ini, "list-backups").Stdout
	if !strings.Contains(text, "Point-in-time restore window of "+b.FQDN+": ") || strings.Contains(text, "gap") {
		t.Errorf("list-backups:\n%s", text)
	}

	minActive, ok := m2.MinActiveID()
	if !ok {
		t.Fatalf("pitr.json of w2 names no active segment: %+v", m2)
	}
	var want []int64
	gone := 0
	for _, g := range segs {
		if g.ID >= minActive || g.MtimeMs*1000 >= m2.SnapshotStartedUs {
			want = append(want, g.ID)
		} else {
			gone++
		}
	}
	if gone == 0 {
		t.Fatalf("no archived segment precedes w2's snapshot (%d segments, w2 active from %d): nothing to purge",
			len(segs), minActive)
	}
	res := winMust(t, b, st.ini, "purge")
	t.Logf("purge took %v:\n%s", res.Took, res.Stdout)
	var got []int64
	for _, g := range winSegs(t, st, b.FQDN) {
		got = append(got, g.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("segments after purge %v, want %v", got, want)
	}
	for _, k := range winKeys(t, st, b.FQDN) {
		if _, _, name, _, err := commitlog.ParseKey(k); err == nil && !slices.Contains(want, name.ID) {
			t.Errorf("%s left after its segment was purged", k)
		}
	}
	for _, line := range []string{"- backup w1 of " + b.FQDN + " deleted",
		"archived commit log segments of " + b.FQDN + " deleted: ", "Commit log segments deleted: "} {
		if !strings.Contains(res.Stdout, line) {
			t.Errorf("purge output lacks %q", line)
		}
	}
	if w := winWindow(t, b, st, b.FQDN); w == nil || w["earliest"] != winUs(m2.SnapshotTakenUs) {
		t.Errorf("pitr_window after purge %v; want earliest %s (end of w2's snapshot)", w, winUs(m2.SnapshotTakenUs))
	}

	// A segment lost after w2 (deleted from the bucket), then backup w3
	// past it: two spans and the gap between them. The lost segment
	// follows one last written after w2's snapshot (those active at the
	// snapshot may have closed before it ended).
	for i := range 3 {
		winSegments(t, b, st, s, "win_ret", 3600+1200*i)
	}
	var after []commitlog.SegmentInfo
	for _, g := range winSegs(t, st, b.FQDN) {
		if g.ID >= minActive {
			after = append(after, g)
		}
	}
	k := 1
	for k < len(after) && after[k-1].MtimeMs*1000 <= m2.SnapshotTakenUs {
		k++
	}
	if k+1 >= len(after) || after[0].ID != minActive {
		t.Fatalf("segments from w2 on: %v; want one written after w2's snapshot followed by two more", after)
	}
	lost := after[k]
	for _, k := range []string{commitlog.InfoKey(b.FQDN, lost), commitlog.SegmentKey(b.FQDN, lost)} {
		if err := st.rooted.Delete(t.Context(), k); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Node.Nodetool(t.Context(), "flush"); err != nil {
		t.Fatalf("nodetool flush: %v", err)
	}
	time.Sleep(time.Second)
	winMust(t, b, st.ini, "backup", "--backup-name", "w3")
	winSegments(t, b, st, s, "win_ret", 7200)
	m3 := winMeta(t, st, b.FQDN, "w3")
	w = winWindow(t, b, st, b.FQDN)
	wantGap := map[string]any{"from": winMs(after[k-1].MtimeMs), "to": winUs(m3.SnapshotTakenUs)}
	if gaps, _ := w["gaps"].([]any); len(gaps) != 1 || fmt.Sprint(gaps[0]) != fmt.Sprint(wantGap) {
		t.Errorf("pitr_window with %s lost: %v; want one gap %v", lost.Name, w, wantGap)
	}
	if text := winMust(t, b, st.ini, "list-backups").Stdout; !strings.Contains(text, ", gap between ") {
		t.Errorf("list-backups does not show the gap:\n%s", text)
	}
}

// TestWinPythonCompat: a bucket prefix with two backups of ours (p1, p2)
// and segments archived around them. Python Medusa, with the same
// medusa.ini (the commit log settings are [cassandra] keys it ignores),
// lists both backups, verifies them and downloads p2; its purge
// (max_backup_count = 1, deleting p1) and its delete-backup of p2 leave
// every object under commitlogs/ in place.
func TestWinPythonCompat(t *testing.T) {
	b := PitrBed(t)
	py := testbed.PyMedusaT(t)
	st := winOpen(t, b, "winpy", map[string]map[string]string{"storage": {"max_backup_count": "1"}})
	s := b.Session(t, "")
	archKeyspace(t, s, "win_py")
	winSegments(t, b, st, s, "win_py", 0)
	winMust(t, b, st.ini, "backup", "--backup-name", "p1")
	winSegments(t, b, st, s, "win_py", 1200)
	winMust(t, b, st.ini, "backup", "--backup-name", "p2")
	winSegments(t, b, st, s, "win_py", 2400)
	archived := winKeys(t, st, b.FQDN)
	if len(winSegs(t, st, b.FQDN)) < 3 {
		t.Fatalf("%d objects under commitlogs/, want 3 archived segments or more", len(archived))
	}
	if ini, err := os.ReadFile(st.ini); err != nil || !strings.Contains(string(ini), "commitlog_archiving") {
		t.Fatalf("the medusa.ini does not turn archiving on: %v\n%s", err, ini)
	}

	pyIni := st.ini
	run := func(ini string, args ...string) (string, error) {
		out, errOut, err := testbed.PyMedusa{Exe: py, Config: ini, Dir: t.TempDir()}.Run(t.Context(), args...)
		return out + errOut, err
	}
	out, err := run(pyIni, "list-backups")
	if err != nil || !strings.Contains(out, "p1 (started") || !strings.Contains(out, "p2 (started") {
		t.Fatalf("Python list-backups: %v\n%s", err, out)
	}
	for _, name := range []string{"p1", "p2"} {
		if out, err := run(pyIni, "verify", "--backup-name", name); err != nil || !strings.Contains(out, "Manifest validated: OK") {
			t.Errorf("Python verify %s: %v\n%s", name, err, out)
		}
	}
	dest := t.TempDir()
	if out, err := run(pyIni, "download", "--backup-name", "p2", "--download-destination", dest); err != nil {
		t.Fatalf("Python download p2: %v\n%s", err, out)
	}
	tables, _ := filepath.Glob(filepath.Join(dest, "win_py", "t-*", "*-Data.db"))
	if len(tables) == 0 {
		t.Errorf("Python download of p2 placed no SSTable of win_py.t under %s", dest)
	}

	if out, err := run(pyIni, "purge"); err != nil {
		t.Fatalf("Python purge: %v\n%s", err, out)
	}
	if out, _ := run(pyIni, "list-backups"); strings.Contains(out, "p1 (started") || !strings.Contains(out, "p2 (started") {
		t.Fatalf("after Python purge with max_backup_count = 1, p1 should be gone and p2 listed:\n%s", out)
	}
	if got := winKeys(t, st, b.FQDN); !slices.Equal(got, archived) {
		t.Errorf("Python purge changed commitlogs/: %d objects before, %d after", len(archived), len(got))
	}
	if out, err := run(pyIni, "delete-backup", "--backup-name", "p2"); err != nil {
		t.Fatalf("Python delete-backup p2: %v\n%s", err, out)
	}
	if got := winKeys(t, st, b.FQDN); !slices.Equal(got, archived) {
		t.Errorf("Python delete-backup changed commitlogs/: %d objects before, %d after", len(archived), len(got))
	}
}

// TestWinObjectLock: in a bucket with S3 Object Lock (object_lock_days =
// 1), the segments archived before backup w1, which w1 does not need, are
// selected by purge but the store refuses to delete them: they are kept
// and counted, and nothing is lost. Once their retention has passed
// (shortened by the admin with the governance bypass, as time passing
// would), the same purge deletes exactly them.
func TestWinObjectLock(t *testing.T) {
	b := PitrBed(t)
	const bucket = "medusa-winlock"
	if err := b.S3.NewLockedBucket(t.Context(), bucket); err != nil {
		t.Fatal(err)
	}
	st := winOpen(t, b, "winlock", map[string]map[string]string{
		"storage":   {"bucket_name": bucket, "object_lock_days": "1"},
		"cassandra": {"commitlog_retention_grace": "0s"}})
	s := b.Session(t, "")
	archKeyspace(t, s, "win_lock")
	winSegments(t, b, st, s, "win_lock", 0)
	// A closed segment stays in the commit log directory, and so among the
	// segments active at the snapshot, until its writes are flushed.
	if _, err := b.Node.Nodetool(t.Context(), "flush"); err != nil {
		t.Fatalf("nodetool flush: %v", err)
	}
	time.Sleep(time.Second)
	winMust(t, b, st.ini, "backup", "--backup-name", "w1")
	winSegments(t, b, st, s, "win_lock", 1200)

	m1 := winMeta(t, st, b.FQDN, "w1")
	minActive, _ := m1.MinActiveID()
	before := winSegs(t, st, b.FQDN)
	var needed []int64
	for _, g := range before {
		if g.ID >= minActive || g.MtimeMs*1000 >= m1.SnapshotStartedUs {
			needed = append(needed, g.ID)
		}
	}
	unneeded := len(before) - len(needed)
	if unneeded == 0 {
		t.Fatalf("no archived segment precedes w1's snapshot (%d segments): nothing for purge to select", len(before))
	}
	keys := winKeys(t, st, b.FQDN)
	out := winMust(t, b, st.ini, "purge").Stdout
	want := "Commit log segments kept by object lock retention: " + strconv.Itoa(unneeded) + " (first release "
	if !strings.Contains(out, want) || !strings.Contains(out, "Commit log segments deleted: 0 ") {
		t.Errorf("purge in a locked bucket: want %q and nothing deleted:\n%s", want, out)
	}
	if got := winKeys(t, st, b.FQDN); !slices.Equal(got, keys) {
		t.Errorf("purge in a locked bucket changed commitlogs/: %d objects before, %d after", len(keys), len(got))
	}

	admin := b.S3.Client(b.S3.Admin)
	release := time.Now().Add(3 * time.Second).UTC()
	for _, k := range keys {
		key := st.l.KeyPrefix() + k
		_, err := admin.PutObjectRetention(t.Context(), &awss3.PutObjectRetentionInput{Bucket: aws.String(bucket), Key: &key,
			BypassGovernanceRetention: aws.Bool(true), Retention: &types.ObjectLockRetention{
				Mode: types.ObjectLockRetentionModeGovernance, RetainUntilDate: &release}})
		if err != nil {
			t.Fatalf("shorten the retention of %s: %v", key, err)
		}
	}
	time.Sleep(time.Until(release.Add(time.Second)))
	out = winMust(t, b, st.ini, "purge").Stdout
	if want := "Commit log segments deleted: " + strconv.Itoa(unneeded) + " ("; !strings.Contains(out, want) ||
		strings.Contains(out, "object lock") {
		t.Errorf("purge after the retention date: want %q:\n%s", want, out)
	}
	var got []int64
	for _, g := range winSegs(t, st, b.FQDN) {
		got = append(got, g.ID)
	}
	if !slices.Equal(got, needed) {
		t.Errorf("segments after the purge %v, want %v", got, needed)
	}
}

// TestWinPurgeDecommissioned: a node that left the cluster and whose only
// objects in the bucket are archived segments (here under 10.9.9.9)
// counts as a node of the bucket, and purge-decommissioned (the cluster's
// hosts read from the real node) deletes its whole commitlogs/ directory;
// the live node's archived segments stay.
func TestWinPurgeDecommissioned(t *testing.T) {
	b := PitrBed(t)
	st := winOpen(t, b, "windec", nil)
	s := b.Session(t, "")
	archKeyspace(t, s, "win_dec")
	winSegments(t, b, st, s, "win_dec", 0)
	live := winKeys(t, st, b.FQDN)
	const gone = "10.9.9.9"
	for i := range 3 {
		info := commitlog.SegmentInfo{Name: fmt.Sprintf("CommitLog-7-%d.log", 1700000000000+i), Version: 7,
			ID: 1700000000000 + int64(i), MtimeMs: 1700000100000 + int64(i), Codec: commitlog.CodecZstd}
		for _, k := range []string{commitlog.SegmentKey(gone, info), commitlog.InfoKey(gone, info)} {
			if _, err := st.rooted.Put(t.Context(), k, strings.NewReader("x")); err != nil {
				t.Fatal(err)
			}
		}
	}
	out := winMust(t, b, st.ini, "purge-decommissioned").Stdout
	if !strings.Contains(out, "- 3 archived commit log segments of "+gone+" deleted") {
		t.Errorf("purge-decommissioned output:\n%s", out)
	}
	if left := winKeys(t, st, gone); len(left) != 0 {
		t.Errorf("left under %s/commitlogs/: %v", gone, left)
	}
	if got := winKeys(t, st, b.FQDN); !slices.Equal(got, live) {
		t.Errorf("the live node's commitlogs/ changed: %d objects before, %d after", len(live), len(got))
	}
}

// winChecksum returns the number of rows of ks.t and a SHA-256 over them
// in key order.
func winChecksum(t *testing.T, b *Bed, ks string) (int, string) {
	t.Helper()
	s := b.Session(t, "")
	type row struct {
		k int
		v string
	}
	var rows []row
	it := s.Query("SELECT k, v FROM " + ks + ".t").PageSize(500).IterContext(t.Context())
	var r row
	for it.Scan(&r.k, &r.v) {
		rows = append(rows, r)
	}
	if err := it.Close(); err != nil {
		t.Fatalf("read %s.t: %v", ks, err)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].k < rows[j].k })
	h := sha256.New()
	for _, r := range rows {
		fmt.Fprintf(h, "%d=%s\n", r.k, r.v)
	}
	return len(rows), hex.EncodeToString(h.Sum(nil))
}

// TestWinPythonRestore (last in the package: it restarts the node and
// empties its commit log directory): Python Medusa's restore-node (in place, no
// sstableloader), run with the bed's medusa.ini, restores a backup of ours
// from a bucket prefix that also holds archived segments, their sidecars
// and the backup's meta/pitr.json. The table's rows are the backup's again
// (rows written after it are gone), the node is up and archives again,
// and no object under commitlogs/ was touched.
func TestWinPythonRestore(t *testing.T) {
	b := PitrBed(t)
	py := testbed.PyMedusaT(t)
	st := winOpen(t, b, "winpyrs", nil)
	s := b.Session(t, "")
	archKeyspace(t, s, "win_pyrs")
	winSegments(t, b, st, s, "win_pyrs", 0)
	winMust(t, b, st.ini, "backup", "--backup-name", "r1")
	winMeta(t, st, b.FQDN, "r1") // pitr.json is there, archiving on
	wantRows, wantSum := winChecksum(t, b, "win_pyrs")
	archWrite(t, s, "win_pyrs", 5000, 50) // after the backup: the restore drops them
	if n, _ := winChecksum(t, b, "win_pyrs"); n != wantRows+50 {
		t.Fatalf("%d rows after writing 50 more, want %d", n, wantRows+50)
	}
	archived := winKeys(t, st, b.FQDN)
	winSegs0 := winSegs(t, st, b.FQDN)
	if len(winSegs0) == 0 {
		t.Fatalf("no archived segment under commitlogs/ (%d objects)", len(archived))
	}
	sidecars := map[string][]byte{}
	for _, k := range archived {
		if strings.HasSuffix(k, ".json") {
			sidecars[k] = winGet(t, st, k)
		}
	}

	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	t.Cleanup(func() { // never leave the shared node down
		c, stop := context.WithTimeout(context.Background(), 5*time.Second)
		defer stop()
		if _, err := b.Node.ReleaseVersion(c); err != nil {
			restart(t, b)
		}
	})
	pid := b.Node.PID()
	start := time.Now()
	out, errOut, err := testbed.PyMedusa{Exe: py, Config: st.ini, Dir: t.TempDir()}.Run(ctx,
		"restore-node", "--in-place", "--backup-name", "r1", "--temp-dir", t.TempDir())
	if err != nil {
		t.Fatalf("Python restore-node --in-place --backup-name r1: %v\n%s%s\nnode log:\n%s", err, out, errOut,
			b.Node.LogTail(30))
	}
	t.Logf("Python restore-node took %s", time.Since(start).Round(time.Millisecond))
	if err := b.Node.WaitCQL(ctx); err != nil {
		t.Fatalf("node not up after Python restore-node: %v\n%s", err, b.Node.LogTail(30))
	}
	if now := b.Node.PID(); now == 0 || now == pid {
		t.Errorf("Cassandra's pid %d before Python restore-node, %d after: it was not restarted", pid, now)
	}
	if n, sum := winChecksum(t, b, "win_pyrs"); n != wantRows || sum != wantSum {
		t.Errorf("after Python restore-node of r1: %d rows (checksum %s), want the backup's %d rows (%s)", n, sum,
			wantRows, wantSum)
	}
	got := winKeys(t, st, b.FQDN)
	for _, k := range archived {
		if !slices.Contains(got, k) {
			t.Errorf("Python restore-node: %s is gone from commitlogs/", k)
		}
	}
	for k, v := range sidecars {
		if now := winGet(t, st, k); string(now) != string(v) {
			t.Errorf("Python restore-node changed sidecar %s", k)
		}
	}
	// Python's restore empties the commit log directory, the spool in it
	// too: archiving goes on into a new spool.
	winSegments(t, b, st, b.Session(t, ""), "win_pyrs", 10_000)
	if after := winSegs(t, st, b.FQDN); len(after) <= len(winSegs0) {
		t.Errorf("no segment archived after the restore: %d archived before, %d after", len(winSegs0), len(after))
	}
}

// winGet reads one object under the prefix of st (a commitlogs/ key).
func winGet(t *testing.T, st winStore, key string) []byte {
	t.Helper()
	data, err := storage.ReadAll(t.Context(), st.rooted, key)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return data
}
