package metrics

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/medusa-go/medusa/internal/backup"
	"github.com/medusa-go/medusa/internal/config"
)

// parseFile parses a written textfile with the Prometheus text parser.
func parseFile(t *testing.T, path string) map[string]*dto.MetricFamily {
	t.Helper()
	mfs, err := readTextfile(path)
	if err != nil {
		t.Fatal(err)
	}
	return mfs
}

// value returns the value of the series name{labels}, failing the test
// when the families lack it.
func value(t *testing.T, mfs map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	mf, ok := mfs[name]
	if !ok {
		t.Fatalf("no family %s", name)
	}
	for _, m := range mf.GetMetric() {
		if sameLabels(m.GetLabel(), labels) {
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				return m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				return m.GetGauge().GetValue()
			}
			t.Fatalf("%s is a %s", name, mf.GetType())
		}
	}
	t.Fatalf("no series %s%v", name, labels)
	return 0
}

func eq(t *testing.T, what string, got, want float64) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func testRun(dir, command string, now time.Time) *Run {
	r := NewRun(config.Monitoring{MonitoringProvider: config.MonitoringPrometheus, PrometheusTextfileDir: dir,
		BackupOverdueHours: 26}, command, "node1.example", now.Add(-90*time.Second))
	r.Now = func() time.Time { return now }
	return r
}

// TestBackupTextfile: a successful backup, then a failed one. The file is
// replaced atomically (mode 0644, no temporary file left), the counters
// carry over from the previous file, and a failed backup keeps the size
// and files of the last successful one.
func TestBackupTextfile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	t0 := time.Unix(1_800_000_000, 0)
	r := testRun(dir, "backup", t0)
	r.Transfer.up.Add(4096)
	r.Backup(BackupOutcome{Name: "b1", Mode: "differential", Started: t0.Add(-80 * time.Second), Finished: t0,
		Size: 10_000, Files: 12, UploadedBytes: 4096, UploadedFiles: 3, ReusedFiles: 9})
	if err := r.Finish(nil, nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "medusa_backup.prom")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
	node := map[string]string{"node": "node1.example"}
	cmd := map[string]string{"node": "node1.example", "command": "backup"}
	mfs := parseFile(t, path)
	eq(t, "success", value(t, mfs, "medusa_backup_last_success", node), 1)
	eq(t, "start", value(t, mfs, "medusa_backup_last_start_timestamp_seconds", node), 1_800_000_000-80)
	eq(t, "end", value(t, mfs, "medusa_backup_last_end_timestamp_seconds", node), 1_800_000_000)
	eq(t, "duration", value(t, mfs, "medusa_backup_last_duration_seconds", node), 80)
	eq(t, "size", value(t, mfs, "medusa_backup_last_size_bytes", node), 10_000)
	eq(t, "files", value(t, mfs, "medusa_backup_last_files", node), 12)
	eq(t, "uploaded files", value(t, mfs, "medusa_backup_last_uploaded_files", node), 3)
	eq(t, "reused", value(t, mfs, "medusa_backup_last_reused_files", node), 9)
	eq(t, "info", value(t, mfs, "medusa_backup_last_info",
		map[string]string{"node": "node1.example", "backup": "b1", "mode": "differential"}), 1)
	eq(t, "command duration", value(t, mfs, "medusa_command_last_duration_seconds", cmd), 90)
	eq(t, "uploaded bytes", value(t, mfs, "medusa_command_last_uploaded_bytes", cmd), 4096)
	eq(t, "runs", value(t, mfs, "medusa_command_runs_total", cmd), 1)
	eq(t, "failures", value(t, mfs, "medusa_command_failures_total", cmd), 0)

	t1 := t0.Add(24 * time.Hour)
	r = testRun(dir, "backup", t1)
	failed := errors.New("upload failed")
	r.Backup(BackupOutcome{Name: "b2", Mode: "full", Started: t1.Add(-time.Minute), Finished: t1, Err: failed})
	if err := r.Finish(failed, nil); err != nil {
		t.Fatal(err)
	}
	mfs = parseFile(t, path)
	eq(t, "success after failure", value(t, mfs, "medusa_backup_last_success", node), 0)
	eq(t, "size kept", value(t, mfs, "medusa_backup_last_size_bytes", node), 10_000)
	eq(t, "last success kept", value(t, mfs, "medusa_backup_last_success_timestamp_seconds", node), 1_800_000_000)
	eq(t, "runs", value(t, mfs, "medusa_command_runs_total", cmd), 2)
	eq(t, "failures", value(t, mfs, "medusa_command_failures_total", cmd), 1)
	eq(t, "backup failures", value(t, mfs, "medusa_backup_failures_total", node), 1)
	eq(t, "command success", value(t, mfs, "medusa_command_last_success", cmd), 0)
	if n := len(mfs["medusa_backup_last_info"].GetMetric()); n != 1 {
		t.Errorf("%d medusa_backup_last_info series, want only the last backup's", n)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(left) != 1 {
		t.Errorf("files left in the directory: %v, want medusa_backup.prom only", left)
	}
}

// TestBackupOverdue: medusa_backup_overdue is 1 when the last complete
// backup is older than backup_overdue_hours or missing, 0 otherwise.
func TestBackupOverdue(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	node := map[string]string{"node": "node1.example"}
	for _, tc := range []struct {
		name    string
		last    time.Time
		ok      bool
		overdue float64
	}{
		{"recent", now.Add(-25 * time.Hour), true, 0},
		{"old", now.Add(-27 * time.Hour), true, 1},
		{"none", time.Time{}, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			r := testRun(dir, "report-last-backup", now)
			r.BackupAge(tc.last, tc.ok)
			if err := r.Finish(nil, nil); err != nil {
				t.Fatal(err)
			}
			mfs := parseFile(t, filepath.Join(dir, AgeFile))
			eq(t, "overdue", value(t, mfs, "medusa_backup_overdue", node), tc.overdue)
			eq(t, "threshold", value(t, mfs, "medusa_backup_overdue_threshold_seconds", node), 26*3600)
			eq(t, "checked", value(t, mfs, "medusa_backup_age_check_timestamp_seconds", node), 1_800_000_000)
			_, has := mfs["medusa_backup_last_complete_timestamp_seconds"]
			if has != tc.ok {
				t.Errorf("medusa_backup_last_complete_timestamp_seconds present = %v, want %v", has, tc.ok)
			}
			if tc.ok {
				eq(t, "last complete", value(t, mfs, "medusa_backup_last_complete_timestamp_seconds", node),
					float64(tc.last.Unix()))
			}
			if _, err := os.Stat(filepath.Join(dir, "medusa_report_last_backup.prom")); err != nil {
				t.Errorf("the command's own file: %v", err)
			}
		})
	}
}

// TestPurgeAndRestoreTextfiles: the purge series carry the command label
// (purge and delete-backup write the same names into different files),
// so the directory gathers without duplicate series.
func TestPurgeAndRestoreTextfiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := time.Unix(1_800_000_000, 0)
	for _, c := range []string{"purge", "delete-backup"} {
		r := testRun(dir, c, now)
		r.Purge(PurgeOutcome{Backups: 2, Objects: 30, Bytes: 4000})
		if err := r.Finish(nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	r := testRun(dir, "restore-node", now)
	r.Transfer.down.Add(777)
	failed := errors.New("start failed")
	r.Restore(RestoreOutcome{Backup: "b1", Started: now.Add(-time.Minute), Finished: now, Err: failed})
	if err := r.Finish(failed, nil); err != nil {
		t.Fatal(err)
	}
	all, err := Gatherer(dir).Gather()
	if err != nil {
		t.Fatalf("gather %s: %v", dir, err)
	}
	mfs := map[string]*dto.MetricFamily{}
	for _, mf := range all {
		mfs[mf.GetName()] = mf
	}
	for _, c := range []string{"purge", "delete-backup"} {
		l := map[string]string{"node": "node1.example", "command": c}
		eq(t, c+" backups", value(t, mfs, "medusa_purge_last_deleted_backups", l), 2)
		eq(t, c+" bytes", value(t, mfs, "medusa_purge_last_deleted_bytes", l), 4000)
		eq(t, c+" success", value(t, mfs, "medusa_purge_last_success", l), 1)
	}
	node := map[string]string{"node": "node1.example"}
	eq(t, "restore success", value(t, mfs, "medusa_restore_last_success", node), 0)
	eq(t, "restore duration", value(t, mfs, "medusa_restore_last_duration_seconds", node), 60)
	eq(t, "restore downloaded", value(t, mfs, "medusa_command_last_downloaded_bytes",
		map[string]string{"node": "node1.example", "command": "restore-node"}), 777)
}

// TestRunOff: no Run unless the provider is prometheus; a nil Run and an
// empty directory write nothing.
func TestRunOff(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"None", "local", "dog-statsd"} {
		if r := NewRun(config.Monitoring{MonitoringProvider: p, PrometheusTextfileDir: t.TempDir()}, "backup", "n",
			time.Now()); r != nil {
			t.Errorf("provider %s: a Prometheus run", p)
		}
	}
	var r *Run
	r.Backup(BackupOutcome{})
	r.BackupAge(time.Now(), true)
	if err := r.Finish(nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := (&Run{Command: "backup"}).Finish(nil, nil); err != nil {
		t.Fatal(err)
	}
}

// TestUnwritableDirectory: the error names the setting and what to do.
func TestUnwritableDirectory(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "missing")
	err := testRun(dir, "backup", time.Now()).Finish(nil, nil)
	if err == nil || !strings.Contains(err.Error(), "prometheus_textfile_dir = "+dir) {
		t.Fatalf("Finish into a missing directory: %v", err)
	}
}

// TestCorruptPreviousFile: an unparsable previous file is replaced, its
// counters restart.
func TestCorruptPreviousFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "medusa_verify.prom"), []byte("garbage{\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := testRun(dir, "verify", time.Now()).Finish(nil, nil); err != nil {
		t.Fatal(err)
	}
	mfs := parseFile(t, filepath.Join(dir, "medusa_verify.prom"))
	eq(t, "runs", value(t, mfs, "medusa_command_runs_total",
		map[string]string{"node": "node1.example", "command": "verify"}), 1)
}

// TestNodeBackupOutcome: the figures of a successful backup's result; a
// failure before any result keeps the name, mode and the command's start.
func TestNodeBackupOutcome(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1_800_000_000, 0)
	opts := backup.Options{Name: "b1", Mode: backup.Differential}
	res := &backup.Result{Started: t0, Finished: t0.Add(time.Minute), FilesNew: 2, FilesReuploaded: 1, FilesKept: 5,
		BytesUploaded: 300, BytesTotal: 800}
	o := NodeBackupOutcome(opts, res, t0.Add(-time.Second), nil)
	want := BackupOutcome{Name: "b1", Mode: "differential", Started: t0, Finished: t0.Add(time.Minute), Size: 800,
		Files: 8, UploadedBytes: 300, UploadedFiles: 3, ReusedFiles: 5}
	if o != want {
		t.Errorf("outcome %+v, want %+v", o, want)
	}
	failed := errors.New("snapshot failed")
	o = NodeBackupOutcome(opts, nil, t0, failed)
	if o.Name != "b1" || o.Mode != "differential" || !o.Started.Equal(t0) || o.Err != failed || o.Files != 0 {
		t.Errorf("outcome of a failure %+v", o)
	}
}
