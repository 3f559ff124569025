package e2e

import (
	"maps"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/medusa-go/medusa/internal/metrics"
	"github.com/medusa-go/medusa/internal/testbed"
)

// TestPrometheusTextfiles runs the medusa binary with [monitoring]
// monitoring_provider = prometheus against the shared node and the S3
// server (as the user restricted to the set-up guide's policy): backup-node,
// purge and report-last-backup each write their textfile, which the
// Prometheus text parser reads with the figures of the backup (its files
// and size as its manifest has them, bytes uploaded, success, the overdue
// gauge at 0); node_exporter's textfile collector, reading the same
// directory, serves the same series without a collector error, and so does
// metrics.Handler (what the gRPC server mounts). report-last-backup for a
// node without backups sets medusa_backup_overdue to 1.
func TestPrometheusTextfiles(t *testing.T) {
	n := testNode(t)
	srv := testbed.S3T(t)
	bin := buildMedusa(t)
	dir := t.TempDir()
	textfiles := filepath.Join(dir, "textfiles")
	if err := os.Mkdir(textfiles, 0o755); err != nil {
		t.Fatal(err)
	}
	const prefix = "prom"
	ini := filepath.Join(dir, "medusa.ini")
	err := testbed.MedusaINI{S3: srv, User: srv.Restricted, Bucket: srv.Bucket, Prefix: prefix, Node: n,
		FQDN: n.Host, KeyFile: filepath.Join(dir, "credentials"),
		Extra: map[string]map[string]string{"monitoring": {"monitoring_provider": "prometheus",
			"prometheus_textfile_dir": textfiles, "backup_overdue_hours": "2"}}}.Write(ini)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	medusa := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), bin, append([]string{"--config-file", ini}, args...)...)
		cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("medusa %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	ne := testbed.NodeExporterT(t, textfiles)

	before := time.Now()
	medusa("backup-node", "--backup-name", "prom1", "--mode", "full")
	after := time.Now()
	cs := &cliStore{ini: ini, prefix: prefix, fqdn: n.Host, tmp: tmp}
	cs.b = openINIStorage(t, ini, cs.getenv)
	var files, size int64
	for _, s := range readManifest(t, cs.b, cs.layout().ManifestKey(n.Host, "prom1")) {
		for _, o := range s.Objects {
			files, size = files+1, size+o.Size
		}
	}
	node := map[string]string{"node": n.Host}
	backupCmd := map[string]string{"node": n.Host, "command": "backup"}
	mfs := parseTextfile(t, filepath.Join(textfiles, "medusa_backup.prom"))
	promEq(t, mfs, "medusa_backup_last_success", node, 1)
	promEq(t, mfs, "medusa_backup_last_files", node, float64(files))
	promEq(t, mfs, "medusa_backup_last_size_bytes", node, float64(size))
	promEq(t, mfs, "medusa_backup_last_uploaded_files", node, float64(files)) // a full backup uploads every file
	promEq(t, mfs, "medusa_command_last_success", backupCmd, 1)
	promEq(t, mfs, "medusa_command_runs_total", backupCmd, 1)
	promEq(t, mfs, "medusa_backup_last_info", map[string]string{"node": n.Host, "backup": "prom1", "mode": "full"}, 1)
	inRange(t, "backup start", promValue(t, mfs, "medusa_backup_last_start_timestamp_seconds", node), before, after)
	inRange(t, "backup end", promValue(t, mfs, "medusa_backup_last_end_timestamp_seconds", node), before, after)
	if up := promValue(t, mfs, "medusa_command_last_uploaded_bytes", backupCmd); up < float64(size) {
		t.Errorf("medusa_command_last_uploaded_bytes = %v, less than the backup's %d bytes", up, size)
	}
	age := parseTextfile(t, filepath.Join(textfiles, metrics.AgeFile))
	promEq(t, age, "medusa_backup_overdue", node, 0)
	promEq(t, age, "medusa_backup_overdue_threshold_seconds", node, 7200)
	inRange(t, "last complete backup", promValue(t, age, "medusa_backup_last_complete_timestamp_seconds", node),
		before.Add(-time.Second), after)

	medusa("purge")
	purge := parseTextfile(t, filepath.Join(textfiles, "medusa_purge.prom"))
	promEq(t, purge, "medusa_purge_last_success", map[string]string{"node": n.Host, "command": "purge"}, 1)
	promEq(t, purge, "medusa_purge_last_deleted_backups", map[string]string{"node": n.Host, "command": "purge"}, 0)

	reportStart := time.Now()
	medusa("report-last-backup")
	report := parseTextfile(t, filepath.Join(textfiles, "medusa_report_last_backup.prom"))
	promEq(t, report, "medusa_command_last_success", map[string]string{"node": n.Host, "command": "report-last-backup"}, 1)
	age = parseTextfile(t, filepath.Join(textfiles, metrics.AgeFile))
	promEq(t, age, "medusa_backup_overdue", node, 0)
	inRange(t, "age checked", promValue(t, age, "medusa_backup_age_check_timestamp_seconds", node), reportStart, time.Now())

	checkNodeExporter(t, ne, textfiles)

	// A node without any backup: overdue.
	medusa("--fqdn", "never-backed-up.example", "report-last-backup")
	age = parseTextfile(t, filepath.Join(textfiles, metrics.AgeFile))
	promEq(t, age, "medusa_backup_overdue", map[string]string{"node": "never-backed-up.example"}, 1)
	if _, ok := age["medusa_backup_last_complete_timestamp_seconds"]; ok {
		t.Error("medusa_backup_last_complete_timestamp_seconds is set for a node without backups")
	}
}

// checkNodeExporter scrapes node_exporter: every medusa series of the
// files is there, with the values the files hold; the textfile collector
// reports no error; metrics.Handler serves the same medusa series.
func checkNodeExporter(t *testing.T, ne *testbed.NodeExporter, textfiles string) {
	t.Helper()
	body, err := ne.Scrape(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	scraped := testbed.ParsePromText(t, body)
	promEq(t, scraped, "node_textfile_scrape_error", map[string]string{}, 0)
	promEq(t, scraped, "node_scrape_collector_success", map[string]string{"collector": "textfile"}, 1)
	for _, name := range []string{"medusa_backup.prom", "medusa_purge.prom", "medusa_report_last_backup.prom",
		metrics.AgeFile} {
		promValue(t, scraped, "node_textfile_mtime_seconds", map[string]string{"file": filepath.Join(textfiles, name)})
	}
	want := seriesOf(t, readDirFamilies(t, textfiles))
	got := seriesOf(t, scraped)
	for s, v := range want {
		if g, ok := got[s]; !ok || g != v {
			t.Errorf("node_exporter serves %s = %v (present %v), the files say %v", s, g, ok, v)
		}
	}
	if strings.Contains(ne.LogTail(), "level=ERROR") {
		t.Errorf("node_exporter logged errors:\n%s", ne.LogTail())
	}
	h := httptest.NewServer(metrics.Handler(textfiles, nil))
	defer h.Close()
	hb, err := (&testbed.NodeExporter{URL: h.URL}).Scrape(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if served := seriesOf(t, testbed.ParsePromText(t, hb)); !maps.Equal(served, want) {
		t.Errorf("metrics.Handler serves %d medusa series, the files hold %d:\n%v\n%v", len(served), len(want),
			slices.Sorted(maps.Keys(served)), slices.Sorted(maps.Keys(want)))
	}
	t.Logf("node_exporter and metrics.Handler serve the %d medusa series of %d files", len(want), 4)
}

// readDirFamilies parses every medusa_*.prom file of dir into one map.
func readDirFamilies(t *testing.T, dir string) map[string]*dto.MetricFamily {
	t.Helper()
	all := map[string]*dto.MetricFamily{}
	names, err := filepath.Glob(filepath.Join(dir, "medusa_*.prom"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no textfile in %s (%v)", dir, err)
	}
	for _, name := range names {
		for k, mf := range parseTextfile(t, name) {
			if prev, ok := all[k]; ok {
				prev.Metric = append(prev.Metric, mf.Metric...)
				continue
			}
			all[k] = mf
		}
	}
	return all
}

// seriesOf maps each medusa_ series (name and labels) to its value.
func seriesOf(t *testing.T, mfs map[string]*dto.MetricFamily) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for name, mf := range mfs {
		if !strings.HasPrefix(name, "medusa_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			slices.Sort(labels)
			out[name+"{"+strings.Join(labels, ",")+"}"] = testbed.PromMetricValue(m)
		}
	}
	return out
}

func parseTextfile(t *testing.T, path string) map[string]*dto.MetricFamily {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("%s: mode %v (%v), want 0644", path, st.Mode().Perm(), err)
	}
	return testbed.ParsePromText(t, string(b))
}

// promValue returns the value of name{labels} (exactly those labels).
func promValue(t *testing.T, mfs map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	for _, m := range mfs[name].GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		if maps.Equal(got, labels) {
			return testbed.PromMetricValue(m)
		}
	}
	t.Fatalf("no series %s%v", name, labels)
	return 0
}

func promEq(t *testing.T, mfs map[string]*dto.MetricFamily, name string, labels map[string]string, want float64) {
	t.Helper()
	if got := promValue(t, mfs, name, labels); got != want {
		t.Errorf("%s%v = %v, want %v", name, labels, got, want)
	}
}

// inRange checks that a Unix time in seconds lies in [from, to] (to the
// second: the index stores whole seconds).
func inRange(t *testing.T, what string, v float64, from, to time.Time) {
	t.Helper()
	if v < float64(from.Unix()) || v > float64(to.Unix()+1) {
		t.Errorf("%s = %v, want between %d and %d", what, v, from.Unix(), to.Unix()+1)
	}
}
