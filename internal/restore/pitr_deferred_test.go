package restore

import (
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/commitlog"
)

// pendingFixture writes a commit log directory with a restore directory
// holding seg, a properties file (content props) and the hand-over of a
// restore placed at ms 5000.
func pendingFixture(t *testing.T, props string) (cl, restoreDir, propsFile string) {
	t.Helper()
	dir := t.TempDir()
	cl = filepath.Join(dir, "commitlog")
	restoreDir = filepath.Join(cl, commitlog.DefaultRestoreName)
	propsFile = filepath.Join(dir, "conf", commitlog.PropertiesFile)
	for _, d := range []string{restoreDir, filepath.Dir(propsFile)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	const seg = "CommitLog-8-1000.log"
	if err := os.WriteFile(filepath.Join(restoreDir, seg), []byte("segment"), 0o644); err != nil {
		t.Fatal(err)
	}
	if props != "" {
		if err := os.WriteFile(propsFile, []byte(props), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := PendingReplay{PropertiesFile: propsFile, RestoreDir: restoreDir, CommitlogDir: cl,
		Settings: map[string]string{commitlog.KeyRestoreCommand: "/bin/ln %from %to",
			commitlog.KeyRestoreDirectories: restoreDir, commitlog.KeyRestorePIT: "2026:05:01 12:00:00.000000",
			commitlog.KeyPrecision: "MICROSECONDS"},
		PlacedAt: time.UnixMilli(5000).UTC(), Segments: []string{seg}, Base: "b1"}
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(PendingReplayFile(restoreDir), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return cl, restoreDir, propsFile
}

func touch(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

func propsKey(t *testing.T, path, key string) string {
	t.Helper()
	p, err := commitlog.ReadProperties(path)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := p.Get(key)
	return v
}

func TestPendingReplayed(t *testing.T) {
	cl, restoreDir, _ := pendingFixture(t, "")
	p, err := ReadPendingReplay(restoreDir)
	if err != nil || p == nil {
		t.Fatalf("ReadPendingReplay = %v, %v", p, err)
	}
	touch(t, filepath.Join(cl, "CommitLog-8-4000.log")) // older than the placement: a previous run's
	if done, why := p.Replayed(); done || !strings.Contains(why, "not started") {
		t.Fatalf("no start: %v (%s)", done, why)
	}
	touch(t, filepath.Join(cl, "CommitLog-8-6000.log"))
	touch(t, filepath.Join(cl, "CommitLog-8-1000.log")) // linked, replay not finished
	if done, why := p.Replayed(); done || !strings.Contains(why, "did not finish") {
		t.Fatalf("interrupted replay: %v (%s)", done, why)
	}
	if err := os.Remove(filepath.Join(cl, "CommitLog-8-1000.log")); err != nil {
		t.Fatal(err)
	}
	if done, why := p.Replayed(); !done || !strings.Contains(why, "CommitLog-8-6000.log") {
		t.Fatalf("replayed: %v (%s)", done, why)
	}
}

func TestSettleReplay(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	// A new pod: the properties file rendered without the settings (here
	// absent) gets them again; a second look changes nothing more.
	cl, restoreDir, props := pendingFixture(t, "")
	for range 2 {
		if got, err := SettleReplay(restoreDir, false, log); err != nil || got != ReplayReapplied {
			t.Fatalf("SettleReplay = %v, %v", got, err)
		}
	}
	if v := propsKey(t, props, commitlog.KeyRestoreDirectories); v != restoreDir {
		t.Fatalf("restore_directories = %q", v)
	}
	if v := propsKey(t, props, commitlog.KeyRestorePIT); v != "2026:05:01 12:00:00.000000" {
		t.Fatalf("restore_point_in_time = %q", v)
	}
	// Cassandra started and replayed: settings cleared, segments and
	// hand-over removed; other keys kept.
	p, _ := commitlog.ReadProperties(props)
	p.Set(commitlog.KeyArchiveCommand, "/bin/true")
	if err := p.Write(); err != nil {
		t.Fatal(err)
	}
	touch(t, filepath.Join(cl, "CommitLog-8-6000.log"))
	if got, err := SettleReplay(restoreDir, false, log); err != nil || got != ReplayFinished {
		t.Fatalf("SettleReplay = %v, %v", got, err)
	}
	for _, k := range []string{commitlog.KeyRestoreCommand, commitlog.KeyRestoreDirectories, commitlog.KeyRestorePIT} {
		if v := propsKey(t, props, k); v != "" {
			t.Errorf("%s = %q after the replay", k, v)
		}
	}
	if v := propsKey(t, props, commitlog.KeyArchiveCommand); v != "/bin/true" {
		t.Errorf("archive_command = %q", v)
	}
	if exists(restoreDir) || exists(PendingReplayFile(restoreDir)) {
		t.Fatal("restore directory or hand-over left")
	}
	if got, err := SettleReplay(restoreDir, false, log); err != nil || got != NoPendingReplay {
		t.Fatalf("nothing pending: %v, %v", got, err)
	}

	// A new restore abandons a replay never done.
	_, restoreDir, _ = pendingFixture(t, "")
	if got, err := SettleReplay(restoreDir, true, log); err != nil || got != ReplayAbandoned || exists(restoreDir) {
		t.Fatalf("abandon: %v, %v", got, err)
	}
}

// The sidecar, in the pod the restore ran in: the copy of the properties
// file from before the restore is written back. A Cassandra that runs
// without the settings did not replay: the hand-over stays.
func TestFinishReplayFromBak(t *testing.T) {
	_, restoreDir, props := pendingFixture(t, "restore_directories=x\n")
	if got, err := FinishReplay(restoreDir, slog.New(slog.DiscardHandler)); got != ReplayNotApplied || err == nil ||
		!exists(PendingReplayFile(restoreDir)) || !exists(restoreDir) {
		t.Fatalf("FinishReplay without the settings = %v, %v", got, err)
	}
	p, _ := ReadPendingReplay(restoreDir)
	if time.Since(p.PlacedAt) > time.Minute {
		t.Errorf("placed_at %s not moved to now: the segments of a start without the settings would count as "+
			"a replay", p.PlacedAt)
	}
	if err := p.Apply(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(props+bakSuffix, []byte("# before\narchive_command=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := FinishReplay(restoreDir, slog.New(slog.DiscardHandler)); err != nil || got != ReplayFinished {
		t.Fatalf("FinishReplay = %v, %v", got, err)
	}
	if b, _ := os.ReadFile(props); string(b) != "# before\narchive_command=\n" || exists(props+bakSuffix) {
		t.Fatalf("properties %q, bak left %v", b, exists(props+bakSuffix))
	}
	// A damaged hand-over is an error naming the file and what to do.
	if err := os.WriteFile(PendingReplayFile(restoreDir), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := FinishReplay(restoreDir, slog.New(slog.DiscardHandler)); err == nil ||
		!strings.Contains(err.Error(), PendingReplayFile(restoreDir)) || !strings.Contains(err.Error(), "remove it") {
		t.Fatalf("damaged hand-over: %v", err)
	}
}

// Kubernetes mode: the init container restores while Cassandra is down and
// leaves the segments, the settings (in a properties file it creates) and
// the hand-over for Cassandra's start; nothing is started, nothing reset.
func TestPITRDeferred(t *testing.T) {
	f := newPITRFixture(t, 8)
	if err := os.Remove(f.props); err != nil { // nothing renders it in a pod
		t.Fatal(err)
	}
	o := f.pitrOptions(time.UnixMicro(pitrT0*1000 + 2_345_678).UTC())
	o.Backup, o.ManageCassandra, o.RequireDown = fxBackup, false, true
	o.PITR.Deferred, o.PITR.SingleNode = true, true
	f.node.running = false
	res, err := f.run(o)
	if err != nil {
		t.Fatal(err)
	}
	if res.PITR == nil || !res.PITR.Deferred || res.PITR.Segments != 8 || res.PITR.Replayed != -1 {
		t.Fatalf("result %+v", res.PITR)
	}
	if c := f.node.Calls(); len(c) != 0 {
		t.Errorf("node calls %v", c)
	}
	props := readString(t, f.props)
	for _, want := range []string{"restore_command=/bin/ln %from %to", "restore_directories=" + f.restoreDir,
		"restore_point_in_time=2025:06:15 15:06:42.345678", "precision=MICROSECONDS"} {
		if !strings.Contains(props, want+"\n") {
			t.Errorf("properties lack %q:\n%s", want, props)
		}
	}
	for name, raw := range f.raw {
		if readString(t, filepath.Join(f.restoreDir, name)) != string(raw) {
			t.Errorf("%s in the restore directory differs from the archived segment", name)
		}
	}
	p, err := ReadPendingReplay(f.restoreDir)
	if err != nil || p == nil || len(p.Segments) != 8 || p.Base != fxBackup || p.PropertiesFile != f.props ||
		p.Settings[commitlog.KeyRestorePIT] != "2025:06:15 15:06:42.345678" {
		t.Fatalf("hand-over %+v, %v", p, err)
	}
	if done, why := p.Replayed(); done {
		t.Errorf("replayed before any start: %s", why)
	}
	if readString(t, filepath.Join(f.spool, "CommitLog-7-99.log")) != "spooled, not uploaded yet" {
		t.Error("the spool was not kept in place")
	}
	ms, err := commitlog.ListMarkers(t.Context(), f.store, fxFQDN)
	if err != nil || len(ms) != 1 || ms[0].BaseBackup != fxBackup {
		t.Errorf("markers %+v, %v", ms, err)
	}
	// restore-node (medusa starts Cassandra) cannot defer.
	o.ManageCassandra = true
	if _, err := f.run(o); err == nil || !strings.Contains(err.Error(), "Kubernetes mode only") {
		t.Errorf("deferred with ManageCassandra: %v", err)
	}
}
