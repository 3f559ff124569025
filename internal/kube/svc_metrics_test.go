package kube

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/medusa-go/medusa/internal/grpcserver/medusapb"
	"github.com/medusa-go/medusa/internal/testbed"
)

// TestSvcPrometheus runs a backup through `medusa grpc-server` with the
// prometheus provider: the backup's textfile is written as `medusa backup`
// writes it, and the server serves the same series on /metrics.
func TestSvcPrometheus(t *testing.T) {
	n := testbed.SharedNode(t)
	srv := testbed.S3T(t)
	dir := t.TempDir()
	ini := filepath.Join(dir, "medusa.ini")
	svcINI(t, ini, n, srv, "svcprom", 0, nil)
	port, err := testbed.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	textDir := filepath.Join(dir, "textfiles")
	if err := os.MkdirAll(textDir, 0o755); err != nil {
		t.Fatal(err)
	}
	listen := fmt.Sprintf("127.0.0.1:%d", port)
	f, err := os.OpenFile(ini, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = fmt.Fprintf(f, "\n[monitoring]\nmonitoring_provider = prometheus\nprometheus_textfile_dir = %s\nprometheus_listen = %s\n", textDir, listen)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	b := newSvcBed(t, n, ini)
	if _, err := b.c.AsyncBackup(t.Context(), &medusapb.BackupRequest{Name: "prom-1", Mode: medusapb.BackupRequest_FULL}); err != nil {
		t.Fatal(err)
	}
	if r := b.waitBackup("prom-1", 2*time.Minute); r.Status != medusapb.StatusType_SUCCESS {
		t.Fatalf("prom-1: %v\n%s", r, b.out.String())
	}
	data, err := os.ReadFile(filepath.Join(textDir, "medusa_backup.prom"))
	if err != nil {
		t.Fatalf("the server's backup wrote no textfile: %v (dir: %v)", err, ls(textDir))
	}
	file := testbed.ParsePromText(t, string(data))
	if v := single(t, file, "medusa_backup_last_success"); v != 1 {
		t.Errorf("medusa_backup_last_success = %v, want 1", v)
	}
	ageData, err := os.ReadFile(filepath.Join(textDir, "medusa_backup_age.prom"))
	if err != nil {
		t.Fatalf("the server's backup wrote no backup age: %v (dir: %v)", err, ls(textDir))
	}
	for k, v := range testbed.ParsePromText(t, string(ageData)) {
		file[k] = v
	}
	if v := single(t, file, "medusa_backup_overdue"); v != 0 {
		t.Errorf("medusa_backup_overdue = %v right after a backup, want 0", v)
	}
	resp, err := http.Get("http://" + listen + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v\n%s", err, b.out.String())
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s %v", resp.Status, err)
	}
	served := testbed.ParsePromText(t, string(body))
	for _, name := range []string{"medusa_backup_last_success", "medusa_backup_last_size_bytes", "medusa_backup_overdue"} {
		if got, want := single(t, served, name), single(t, file, name); got != want {
			t.Errorf("/metrics %s = %v, the textfile says %v", name, got, want)
		}
	}
}

// single is the value of the one series of name.
func single(t *testing.T, mfs map[string]*dto.MetricFamily, name string) float64 {
	t.Helper()
	ms := mfs[name].GetMetric()
	if len(ms) != 1 {
		t.Fatalf("%s: %d series, want 1", name, len(ms))
	}
	return testbed.PromMetricValue(ms[0])
}

func ls(dir string) []string {
	es, _ := os.ReadDir(dir)
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}
