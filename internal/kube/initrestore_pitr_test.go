package kube

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/medusa-go/medusa/internal/app"
	"github.com/medusa-go/medusa/internal/commitlog"
	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/restore"
	"github.com/medusa-go/medusa/internal/testbed"
)

// kpRows is the size of each batch of the point-in-time scenario: about
// 1.2 MiB of 1 KiB rows, so that the node's 1 MiB segments switch during
// each batch and the earlier ones are archived.
const kpRows = 1200

// kpBase are the first keys of batches 1, 2 and 3 in kpitr.t.
var kpBase = [3]int{0, 10_000, 20_000}

// TestInitRestorePITR is the init container restoring a pod to a point in
// time (MEDUSA_RESTORE_PITR) with the shared node playing the pod:
// archiving is turned on (one restart), a backup is taken, then batches
// stamped T1 < T2 < T < T3 are written and archived; the node is stopped
// as the operator stops the datacenter.
//   - A segment missing from the bucket refuses the restore before
//     anything changes: exit 1 naming the missing id, the node's files,
//     the properties file and .last-restore as before.
//   - With the segment back, init-restore places the backup, the
//     segments in the restore directory, the restore settings in
//     commitlog_archiving.properties and the hand-over; the node, started
//     by the test as the pod would, has batches 1 and 2, not batch 3.
//   - The sidecar (grpc-server) sees Cassandra answer CQL and resets the
//     settings; the pod's next start does nothing.
func TestInitRestorePITR(t *testing.T) {
	n := testbed.SharedNode(t)
	bin := medusaBinary(t)
	srv := testbed.S3T(t)
	dir := t.TempDir()
	props := filepath.Join(filepath.Dir(n.ConfigFile), commitlog.PropertiesFile)
	restoreDir := filepath.Join(n.CommitlogDir, commitlog.DefaultRestoreName)
	spool := filepath.Join(n.CommitlogDir, commitlog.DefaultSpoolName)
	b := &irBed{t: t, n: n, srv: srv, bin: bin, last: t.TempDir(), tmp: t.TempDir(),
		backINI: filepath.Join(dir, "backup.ini"), initINI: filepath.Join(dir, "medusa.ini")}
	ini := testbed.MedusaINI{S3: srv, KeyFile: filepath.Join(dir, "credentials"), User: srv.Restricted,
		Bucket: srv.Bucket, Prefix: "kube-pitr", Node: n, FQDN: irPod,
		Extra: map[string]map[string]string{"cassandra": {"commitlog_archiving": "true"}}}
	if err := ini.Write(b.backINI); err != nil {
		t.Fatal(err)
	}
	ini.Extra["kubernetes"] = map[string]string{"enabled": "1", "use_mgmt_api": "1",
		"cassandra_url": "http://127.0.0.1:8080/api/v0/ops/node/snapshots"}
	if err := ini.Write(b.initINI); err != nil {
		t.Fatal(err)
	}
	orig, err := os.ReadFile(props)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	began := time.Now()
	ctx := t.Context()
	b.stop()
	// Whatever happens, the node's next start neither archives nor
	// replays, and the package's other tests find no spool. (Registered
	// after b.stop's, so it runs before the node is started again.)
	t.Cleanup(func() {
		if orig == nil {
			_ = os.Remove(props)
		} else {
			_ = os.WriteFile(props, orig, 0o644)
		}
		_ = os.Remove(props + ".medusa-bak")
		asides, _ := filepath.Glob(filepath.Join(n.CommitlogDir, ".medusa-aside-*"))
		for _, p := range append(asides, spool, restoreDir, restore.PendingReplayFile(restoreDir)) {
			_ = os.RemoveAll(p)
		}
	})
	if out, code := b.medusa(nil, "--config-file", b.backINI, "commitlog", "enable"); code != 0 {
		t.Fatalf("commitlog enable exited %d:\n%s", code, out)
	}
	b.start()
	t.Logf("archiving on (restart): %s", time.Since(began).Round(time.Second))

	s := kpSession(t, n)
	for _, q := range []string{
		"CREATE KEYSPACE IF NOT EXISTS kpitr WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE IF NOT EXISTS kpitr.t (k int PRIMARY KEY, v text)",
		"CREATE TABLE IF NOT EXISTS kpitr.filler (k int PRIMARY KEY, v text)",
	} {
		if err := s.Query(q).ExecContext(ctx); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	b.backup("kpitr-b1", "")
	stamp := func() int64 { time.Sleep(5 * time.Millisecond); return time.Now().UnixMicro() }
	t1 := stamp()
	kpWrite(t, s, "t", kpBase[0], t1)
	kpWrite(t, s, "t", kpBase[1], stamp())
	target := stamp()
	kpWrite(t, s, "t", kpBase[2], stamp())
	afterT3 := time.UnixMicro(stamp())
	kpWrite(t, s, "filler", 0, stamp()) // pushes batch 3 out of the active segment
	segs := kpSynced(t, b, afterT3)
	s.Close()
	t.Logf("backup, 4 batches, archived %d segments: %s", len(segs), time.Since(began).Round(time.Second))

	if err := n.Stop(ctx); err != nil { // the operator stops the datacenter
		t.Fatal(err)
	}
	if out, code := b.medusa(nil, "--config-file", b.backINI, "commitlog", "sync", "--once"); code != 0 {
		t.Fatalf("commitlog sync exited %d:\n%s", code, out)
	}

	const key = "6c3f1c0e-59a4-4d0e-8f8e-8f0c5f0f7a11"
	T := time.UnixMicro(target).UTC()
	vars := map[string]string{"BACKUP_NAME": "kpitr-b1", "RESTORE_KEY": key, "MEDUSA_RESTORE_PITR": T.Format(time.RFC3339Nano)}

	// A hole: the sidecar of the last segment written between T1 and T
	// (not the first one the base needs: a gap within the run) is
	// missing, so the segment is not archived.
	var hole commitlog.SegmentInfo
	for _, sg := range segs[1:] {
		// Not in the commit log directory, where the init container's
		// own sync could archive it again.
		_, err := os.Stat(filepath.Join(n.CommitlogDir, sg.Name))
		if sg.MtimeMs > t1/1000 && sg.MtimeMs < target/1000 && os.IsNotExist(err) {
			hole = sg
		}
	}
	if hole.Name == "" {
		t.Fatalf("no archived segment last written between T1 and T among %d", len(segs))
	}
	sidecar := filepath.Join(srv.Dir, "data", srv.Bucket, "kube-pitr", commitlog.InfoKey(irPod, hole))
	aside := filepath.Join(srv.Dir, "kpitr-aside.json")
	if err := os.Rename(sidecar, aside); err != nil {
		t.Fatalf("hide the sidecar of %s: %v", hole.Name, err)
	}
	stopped, propsBefore := b.tree(), readOrEmpty(t, props)
	out, code := b.initRestore(vars)
	if code != 1 || !strings.Contains(out, fmt.Sprint(hole.ID)) || b.lastKey() != "" {
		t.Fatalf("init-restore over a hole: exit %d, .last-restore %q, want exit 1 naming id %d:\n%s", code,
			b.lastKey(), hole.ID, out)
	}
	sameTree(t, "init-restore over a hole", stopped, b.tree())
	if got := readOrEmpty(t, props); got != propsBefore {
		t.Errorf("the properties file changed:\n%s", got)
	}
	b.noLeftovers()
	if err := os.Rename(aside, sidecar); err != nil {
		t.Fatal(err)
	}

	began = time.Now()
	out, code = b.initRestore(vars)
	if code != 0 || !strings.Contains(out, "Cassandra replays them at its start") || b.lastKey() != key+"\n" {
		t.Fatalf("init-restore exited %d, .last-restore %q:\n%s", code, b.lastKey(), out)
	}
	t.Logf("init-restore: %s", time.Since(began).Round(time.Second))
	// No download left, no aside directory but the commit log's: the
	// segments of the stopped node that were never archived are kept
	// there (the only copy of those writes).
	for _, d := range []string{b.tmp, n.DataDir, n.SavedCachesDir} {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".medusa-aside-") || strings.HasPrefix(e.Name(), "medusa-restore-") {
				t.Errorf("left behind: %s", filepath.Join(d, e.Name()))
			}
		}
	}
	p, err := commitlog.ReadProperties(props)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{commitlog.KeyRestoreDirectories: restoreDir,
		commitlog.KeyRestorePIT: commitlog.FormatPIT(T), commitlog.KeyRestoreCommand: "/bin/ln %from %to"} {
		if v, _ := p.Get(k); v != want {
			t.Errorf("%s = %q, want %q", k, v, want)
		}
	}
	pending, err := restore.ReadPendingReplay(restoreDir)
	if err != nil || pending == nil || pending.Base != "kpitr-b1" || len(pending.Segments) == 0 {
		t.Fatalf("hand-over %+v, %v", pending, err)
	}
	// The test node must not archive for the package's later tests: the
	// pod's own archive_command is left out of this start.
	p.Set(commitlog.KeyArchiveCommand, "")
	if err := p.Write(); err != nil {
		t.Fatal(err)
	}

	began = time.Now()
	b.start() // the pod's Cassandra container: replays at its start
	t.Logf("start with the replay: %s", time.Since(began).Round(time.Second))
	s = kpSession(t, n)
	defer s.Close()
	for i, want := range []bool{true, true, false} {
		for _, k := range []int{kpBase[i], kpBase[i] + kpRows - 1} {
			var got int
			err := s.Query("SELECT k FROM kpitr.t WHERE k = ?", k).WithContext(ctx).Scan(&got)
			if present := err == nil; present != want {
				t.Errorf("row %d of batch %d: present %v (%v), want %v", k, i+1, present, err, want)
			}
		}
	}
	var count int
	if err := s.Query("SELECT count(*) FROM kpitr.t").WithContext(ctx).Scan(&count); err != nil || count != 2*kpRows {
		t.Errorf("kpitr.t has %d rows (%v), want %d (batches 1 and 2)", count, err, 2*kpRows)
	}

	// The sidecar resets the settings once Cassandra answers CQL.
	began = time.Now()
	if log := kpSidecar(t, b, restoreDir); !strings.Contains(log, "Cassandra replayed the point-in-time restore") {
		t.Errorf("the sidecar's log does not say it reset the settings:\n%s", log)
	}
	t.Logf("sidecar settled the replay: %s", time.Since(began).Round(time.Second))
	p, err = commitlog.ReadProperties(props)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{commitlog.KeyRestoreDirectories, commitlog.KeyRestorePIT, commitlog.KeyRestoreCommand} {
		if v, _ := p.Get(k); v != "" {
			t.Errorf("%s = %q after the sidecar's reset", k, v)
		}
	}
	if _, err := os.Stat(restoreDir); !os.IsNotExist(err) {
		t.Errorf("the restore directory is still there (%v)", err)
	}

	// The pod's next start: already done, nothing pending.
	out, code = b.initRestore(vars)
	if code != 0 || !strings.Contains(out, "already done") {
		t.Fatalf("second init-restore exited %d:\n%s", code, out)
	}
}

func kpSession(t *testing.T, n *testbed.Node) *gocql.Session {
	t.Helper()
	s, err := n.NewSession("")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// kpWrite upserts kpRows rows of 1 KiB from key from into kpitr.<tbl>,
// stamped ts (µs).
func kpWrite(t *testing.T, s *gocql.Session, tbl string, from int, ts int64) {
	t.Helper()
	if err := testbed.WriteStamped(t.Context(), s, "kpitr."+tbl, from, kpRows, ts, gocql.One); err != nil {
		t.Fatal(err)
	}
}

// kpSynced syncs the spool until the newest archived write is after
// after, and returns the archived segments.
func kpSynced(t *testing.T, b *irBed, after time.Time) []commitlog.SegmentInfo {
	t.Helper()
	cfg, _, err := config.Load(t.Context(), b.backINI, config.Overrides{}, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	st, err := app.New(cfg, nil).CommitlogStorage(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if out, code := b.medusa(nil, "--config-file", b.backINI, "commitlog", "sync", "--once"); code != 0 {
			t.Logf("commitlog sync exited %d:\n%s", code, out)
		}
		segs, err := commitlog.List(t.Context(), st, irPod)
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

// kpSidecar runs the medusa sidecar (grpc-server, the operator's
// medusa.ini) until the pending replay is settled, at most a minute, and
// returns its output.
func kpSidecar(t *testing.T, b *irBed, restoreDir string) string {
	t.Helper()
	port, err := testbed.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cmd := exec.CommandContext(ctx, b.bin, "--config-file", b.initINI, "grpc-server", "--listen", fmt.Sprintf("127.0.0.1:%d", port),
		"--state-dir", filepath.Join(b.tmp, ".medusa-grpc"))
	cmd.Env = append(os.Environ(), "TMPDIR="+b.tmp, "POD_IP=", "MEDUSA_TMP_DIR="+b.tmp)
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop := func() string {
		time.Sleep(time.Second) // the log line follows the removal
		cancel()
		_ = cmd.Wait()
		t.Logf("grpc-server:\n%s", out.String())
		return out.String()
	}
	pending := restore.PendingReplayFile(restoreDir)
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(500 * time.Millisecond) {
		if _, err := os.Stat(pending); os.IsNotExist(err) {
			return stop()
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("the sidecar did not settle the pending replay within a minute")
		}
	}
}

func readOrEmpty(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}
