package pitr

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/commitlog"
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestObsGRPCServerSync: `medusa grpc-server` with [cassandra] commitlog_sync_interval
// drains the spool by itself: segments Cassandra closes while the server
// runs reach the bucket without any other command, and the server's
// /metrics shows medusa_commitlog_last_archived_timestamp_seconds.
func TestObsGRPCServerSync(t *testing.T) {
	b := PitrBed(t)
	s := b.Session(t, "")
	archKeyspace(t, s, "obs_grpc")
	b.MustRun(t, "commitlog", "sync", "--once")

	metricsDir := t.TempDir()
	metricsAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	ini := b.WriteINI(t, map[string]map[string]string{
		"cassandra":  {"commitlog_sync_interval": "1s"},
		"monitoring": {"monitoring_provider": "prometheus", "prometheus_textfile_dir": metricsDir, "prometheus_listen": metricsAddr},
	})
	var logs syncBuffer
	cmd := exec.Command(b.Medusa, "--config-file", ini, "grpc-server", "--listen", "127.0.0.1:"+strconv.Itoa(freePort(t)),
		"--state-dir", filepath.Join(t.TempDir(), "state"))
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})

	before := map[string]bool{}
	segs, err := commitlog.List(t.Context(), b.Storage(t), b.FQDN)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range segs {
		before[g.Name] = true
	}
	start := time.Now()
	archWrite(t, s, "obs_grpc", 0, 2500)
	var fresh []string
	deadline := time.Now().Add(60 * time.Second)
	for len(fresh) < 2 || len(b.Spooled(t)) > 0 {
		select {
		case err := <-exited:
			t.Fatalf("grpc-server exited: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 60 s, %d new segments archived, %v still spooled; server log:\n%s", len(fresh), b.Spooled(t), logs.String())
		}
		time.Sleep(500 * time.Millisecond)
		segs, err := commitlog.List(t.Context(), b.Storage(t), b.FQDN)
		if err != nil {
			t.Fatal(err)
		}
		fresh = fresh[:0]
		for _, g := range segs {
			if !before[g.Name] {
				fresh = append(fresh, g.Name)
			}
		}
	}
	t.Logf("grpc-server archived %v and emptied the spool %v after the writes began", fresh, time.Since(start).Round(time.Millisecond))

	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v\n%s", err, logs.String())
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"medusa_commitlog_last_archived_timestamp_seconds{", "medusa_commitlog_backlog_segments{",
		"medusa_commitlog_sync_errors_total{"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if !strings.Contains(logs.String(), "commitlog_sync_interval") {
		t.Errorf("the server did not log its periodic sync:\n%s", logs.String())
	}
}

// syncBuffer is a bytes.Buffer safe to read while a process writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
