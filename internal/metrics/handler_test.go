package metrics

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/medusa-go/medusa/internal/config"
)

// TestHandlerServesTextfiles: the handler serves the series of the
// medusa_*.prom files (the ones a command just wrote), leaves out a file
// that does not parse and ignores other files.
func TestHandlerServesTextfiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := time.Unix(1_800_000_000, 0)
	r := testRun(dir, "backup", now)
	r.Backup(BackupOutcome{Name: "b1", Mode: "full", Started: now.Add(-time.Minute), Finished: now, Size: 5, Files: 1})
	r.BackupAge(now.Add(-time.Hour), true)
	if err := r.Finish(nil, nil); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"medusa_broken.prom": "medusa_x{ 1\n",
		"other.prom":         "other_metric 1\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(Handler(dir, nil))
	defer srv.Close()
	body := get(t, srv.URL)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	node := map[string]string{"node": "node1.example"}
	eq(t, "size", value(t, mfs, "medusa_backup_last_size_bytes", node), 5)
	eq(t, "overdue", value(t, mfs, "medusa_backup_overdue", node), 0)
	if _, ok := mfs["other_metric"]; ok {
		t.Error("served a file medusa did not write")
	}
}

// get fetches url in Prometheus' text format.
func get(t *testing.T, url string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v\n%s", url, resp.StatusCode, err, b)
	}
	return string(b)
}

// TestServeListener serves /metrics until the context ends, then returns.
func TestServeListener(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := testRun(dir, "verify", time.Now()).Finish(nil, nil); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- ServeListener(ctx, ln, Handler(dir, nil)) }()
	body := get(t, "http://"+ln.Addr().String()+"/metrics")
	if !strings.Contains(body, `medusa_command_runs_total{command="verify",node="node1.example"} 1`) {
		t.Errorf("/metrics lacks the verify run:\n%s", body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ServeListener did not return after the context ended")
	}
}

// TestServeRefusesBadAddress: the error names the setting.
func TestServeRefusesBadAddress(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = Serve(t.Context(), ln.Addr().String(), Handler(t.TempDir(), nil))
	if err == nil || !strings.Contains(err.Error(), "prometheus_listen = "+ln.Addr().String()) {
		t.Fatalf("Serve on a taken port: %v", err)
	}
}

// TestServeConfigured: nothing is served unless the provider is
// prometheus with prometheus_listen; then /metrics has the textfiles'
// series and the Go runtime's.
func TestServeConfigured(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := testRun(dir, "purge", time.Now()).Finish(nil, nil); err != nil {
		t.Fatal(err)
	}
	off := config.Monitoring{MonitoringProvider: config.MonitoringPrometheus, PrometheusTextfileDir: dir}
	if err := ServeConfigured(t.Context(), off, nil); err != nil {
		t.Fatalf("without prometheus_listen: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	on := off
	on.PrometheusListen = addr
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- ServeConfigured(ctx, on, nil) }()
	var body string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s: %v", addr, err)
		}
	}
	for _, want := range []string{`medusa_command_runs_total{command="purge",node="node1.example"} 1`, "go_goroutines "} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
