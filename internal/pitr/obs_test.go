package pitr

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/check"
	"github.com/medusa-go/medusa/internal/commitlog"
	"github.com/medusa-go/medusa/internal/testbed"
)

// obsCheck runs `medusa check --output json` with ini and returns its
// commitlog/* lines by name.
func obsCheck(t *testing.T, b *Bed, ini string) (map[string]check.Result, Result) {
	t.Helper()
	res := b.RunINI(t, ini, "check", "--output", "json")
	var rep check.Report
	if err := json.Unmarshal([]byte(res.Stdout), &rep); err != nil {
		t.Fatalf("medusa check --output json (exit %d): %v\n%s", res.Code, err, res.Out())
	}
	out := map[string]check.Result{}
	for _, r := range rep.Results {
		if strings.HasPrefix(r.Name, "commitlog/") {
			out[r.Name] = r
		}
	}
	return out, res
}

func wantLine(t *testing.T, lines map[string]check.Result, name string, status check.Status, parts ...string) {
	t.Helper()
	r, ok := lines[name]
	if !ok {
		t.Errorf("no %s line; got %v", name, lines)
		return
	}
	if r.Status != status {
		t.Errorf("%s: %s, want %s: %s -> %s", name, r.Status, status, r.Detail, r.Fix)
	}
	for _, p := range parts {
		if !strings.Contains(r.Detail+" "+r.Fix, p) {
			t.Errorf("%s: %q not in %s -> %s", name, p, r.Detail, r.Fix)
		}
	}
}

// TestObsCheck: `medusa check` on the archiving node. With the bed's set-up
// (archive_command written by this binary's enable before the node
// started, segments synced) every commitlog line is OK; then the failures
// it must name: a properties file without archive_command (FAIL, exit 1,
// "medusa commitlog enable" and a restart), archiving disabled while the
// properties still hand segments over (WARN), a spool whose oldest segment
// waits for half an hour (WARN naming the sync).
func TestObsCheck(t *testing.T) {
	b := PitrBed(t)
	s := b.Session(t, "")
	archKeyspace(t, s, "obs_check")
	before := len(b.Spooled(t))
	archWrite(t, s, "obs_check", 0, 1500)
	waitSpooled(t, b, before+1)
	b.MustRun(t, "commitlog", "sync", "--once")

	lines, res := obsCheck(t, b, b.INI)
	t.Logf("medusa check took %v", res.Took)
	for _, n := range []string{"commitlog/properties", "commitlog/spool", "commitlog/filesystem", "commitlog/clock"} {
		wantLine(t, lines, n, check.OK)
	}
	wantLine(t, lines, "commitlog/properties", check.OK, b.ArchiveLine)
	wantLine(t, lines, "commitlog/bucket", check.OK, "segments archived")
	for _, r := range lines {
		t.Logf("%s %s: %s", r.Status, r.Name, r.Detail)
	}

	empty := filepath.Join(t.TempDir(), commitlog.PropertiesFile)
	if err := os.WriteFile(empty, []byte("# nothing\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lines, res = obsCheck(t, b, b.WriteINI(t, map[string]map[string]string{"commitlog": {"properties_file": empty}}))
	wantLine(t, lines, "commitlog/properties", check.FAIL, "no archive_command", "medusa commitlog enable", "restart Cassandra")
	if res.Code != 1 {
		t.Errorf("medusa check exit %d with a FAIL line, want 1", res.Code)
	}

	lines, _ = obsCheck(t, b, b.WriteINI(t, map[string]map[string]string{"commitlog": {"enabled": "false"}}))
	wantLine(t, lines, "commitlog/properties", check.WARN, "commitlog_archiving is false", "medusa commitlog disable")
	if len(lines) != 1 {
		t.Errorf("%d commitlog lines with archiving disabled, want 1: %v", len(lines), lines)
	}

	// A spool where a segment waits since half an hour: a copy of a
	// closed segment, handed over 30 minutes ago.
	spool := filepath.Join(t.TempDir(), "spool")
	if err := os.MkdirAll(spool, 0o750); err != nil {
		t.Fatal(err)
	}
	segs, err := commitlog.List(t.Context(), b.Storage(t), b.FQDN)
	if err != nil || len(segs) == 0 {
		t.Fatalf("archived segments: %d, %v", len(segs), err)
	}
	old := filepath.Join(spool, commitlog.SegmentName{Version: segs[0].Version, ID: segs[0].ID - 1}.String())
	if err := os.WriteFile(old, mustHeader(t, segs[0].ID-1), 0o640); err != nil {
		t.Fatal(err)
	}
	handed := time.Now().Add(-30 * time.Minute)
	if err := os.Chtimes(old, handed, handed); err != nil {
		t.Fatal(err)
	}
	lines, _ = obsCheck(t, b, b.WriteINI(t, map[string]map[string]string{"commitlog": {"spool_dir": spool}}))
	wantLine(t, lines, "commitlog/spool", check.WARN, "1 segment(s)", "medusa commitlog sync")
}

// promValue reads the value of the series name (any labels) from a
// textfile-collector file; ok false when the file or series is missing.
func promValue(t *testing.T, path, name string) (float64, bool) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			t.Fatalf("%s: %q: %v", path, line, err)
		}
		return v, true
	}
	return 0, false
}

func mustProm(t *testing.T, path, name string) float64 {
	t.Helper()
	v, ok := promValue(t, path, name)
	if !ok {
		data, _ := os.ReadFile(path)
		t.Fatalf("no %s in %s:\n%s", name, path, data)
	}
	return v
}

// TestObsSyncMetrics: `commitlog sync` writes medusa_commitlog.prom. A sync
// against a dead store counts an error and shows the segments left in the
// spool; the next sync empties the backlog, keeps the error count, and
// sets the last archived write to that of the newest archived segment.
func TestObsSyncMetrics(t *testing.T) {
	b := PitrBed(t)
	dir := t.TempDir()
	mon := map[string]string{"monitoring_provider": "prometheus", "prometheus_textfile_dir": dir}
	ini := b.WriteINI(t, map[string]map[string]string{"monitoring": mon})
	hole := testbed.BlackHoleT(t)
	down := b.WriteINI(t, map[string]map[string]string{"monitoring": mon,
		"storage": {"port": strconv.Itoa(hole.Port), "read_timeout": "2"}})
	prom := filepath.Join(dir, "medusa_commitlog.prom")

	s := b.Session(t, "")
	archKeyspace(t, s, "obs_metrics")
	b.MustRun(t, "commitlog", "sync", "--once")
	before := len(b.Spooled(t))
	archWrite(t, s, "obs_metrics", 0, 1500)
	spooled := waitSpooled(t, b, before+1)

	res := b.RunINI(t, down, "commitlog", "sync", "--once")
	if res.Code == 0 {
		t.Fatalf("sync with the store down succeeded:\n%s", res.Out())
	}
	if got := mustProm(t, prom, "medusa_commitlog_sync_errors_total"); got != 1 {
		t.Errorf("sync_errors_total %v after a failed sync, want 1", got)
	}
	if got := mustProm(t, prom, "medusa_commitlog_backlog_segments"); got < float64(len(spooled)) {
		t.Errorf("backlog_segments %v, want at least the %d spooled", got, len(spooled))
	}
	if got := mustProm(t, prom, "medusa_commitlog_backlog_bytes"); got <= 0 {
		t.Errorf("backlog_bytes %v with segments spooled", got)
	}
	if got := mustProm(t, prom, "medusa_commitlog_last_sync_success"); got != 0 {
		t.Errorf("last_sync_success %v after a failed sync", got)
	}
	oldest := mustProm(t, prom, "medusa_commitlog_backlog_oldest_timestamp_seconds")
	if age := time.Since(time.Unix(int64(oldest), 0)); age < 0 || age > 10*time.Minute {
		t.Errorf("backlog_oldest_timestamp %v is %v old", oldest, age)
	}

	res = b.RunINI(t, ini, "commitlog", "sync", "--once")
	if res.Code != 0 {
		t.Fatalf("sync: exit %d\n%s", res.Code, res.Out())
	}
	segs, err := commitlog.List(t.Context(), b.Storage(t), b.FQDN)
	if err != nil || len(segs) == 0 {
		t.Fatalf("archived: %d, %v", len(segs), err)
	}
	newest := segs[len(segs)-1]
	data, _ := os.ReadFile(prom)
	t.Logf("after the sync:\n%s", data)
	if got := mustProm(t, prom, "medusa_commitlog_backlog_segments"); got != float64(len(b.Spooled(t))) {
		t.Errorf("backlog_segments %v, %d spooled", got, len(b.Spooled(t)))
	}
	if got := mustProm(t, prom, "medusa_commitlog_sync_errors_total"); got != 1 {
		t.Errorf("sync_errors_total %v after a good sync, want 1 (carried over)", got)
	}
	if got := mustProm(t, prom, "medusa_commitlog_uploaded_segments_total"); got < float64(len(spooled)) {
		t.Errorf("uploaded_segments_total %v, want at least %d", got, len(spooled))
	}
	if got, want := mustProm(t, prom, "medusa_commitlog_last_archived_timestamp_seconds"), float64(newest.MtimeMs)/1000; math.Abs(got-want) > 0.001 {
		t.Errorf("last_archived_timestamp %v, want %v (the newest archived segment %s)", got, want, newest.Name)
	}
	if got := mustProm(t, prom, "medusa_commitlog_last_sync_success"); got != 1 {
		t.Errorf("last_sync_success %v", got)
	}
}
