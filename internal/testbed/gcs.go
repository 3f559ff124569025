package testbed

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// GCSServer is fake-gcs-server over plain HTTP with a filesystem backend.
// Clients reach it by setting STORAGE_EMULATOR_HOST=Host:
// cloud.google.com/go/storage then skips authentication by itself.
type GCSServer struct {
	Host   string // 127.0.0.1:port, the value of STORAGE_EMULATOR_HOST
	URL    string // http://127.0.0.1:port
	Bucket string // created at start
	Dir    string

	proc *Proc
}

// StartGCS starts fake-gcs-server with its data in dir and creates
// DefaultBucket. ctx bounds the start only; Stop ends the server.
func StartGCS(ctx context.Context, dir string) (*GCSServer, error) {
	bin, err := toolPath("fake-gcs-server", filepath.Join("bin", "fake-gcs-server"), FakeGCSServerVersion)
	if err != nil {
		return nil, err
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, err
	}
	root := filepath.Join(dir, "data")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	s := &GCSServer{Dir: dir}
	var port int
	s.proc, port, err = startOnFreePort(func(port int) (*Proc, error) {
		p, err := StartProc(ProcSpec{Name: "fake-gcs-server", Path: bin, Dir: dir, Args: []string{
			"-scheme", "http", "-host", "127.0.0.1", "-port", fmt.Sprint(port),
			"-backend", "filesystem", "-filesystem-root", root,
			"-public-host", hostPort(port), "-external-url", "http://" + hostPort(port),
			"-log-level", "warn",
		}})
		if err != nil {
			return nil, err
		}
		if err := p.WaitTCP(ctx, hostPort(port), 30*time.Second); err != nil {
			p.Stop()
			return p, err
		}
		return p, nil
	})
	if err != nil {
		return nil, err
	}
	s.Host = hostPort(port)
	s.URL = "http://" + s.Host
	if err := s.NewBucket(ctx, DefaultBucket); err != nil {
		s.Stop()
		return nil, err
	}
	s.Bucket = DefaultBucket
	return s, nil
}

// GCST starts a GCS emulator for a test (see startT for the contract).
func GCST(t testing.TB) *GCSServer {
	t.Helper()
	return startT(t, "a GCS emulator (fake-gcs-server)", StartGCS)
}

// Env is the environment a GCS client needs to use this server.
func (s *GCSServer) Env() []string { return []string{"STORAGE_EMULATOR_HOST=" + s.Host} }

// Stop kills the server.
func (s *GCSServer) Stop() { s.proc.Stop() }

// NewBucket creates a bucket through the JSON API.
func (s *GCSServer) NewBucket(ctx context.Context, name string) error {
	body, _ := json.Marshal(map[string]string{"name": name})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/storage/v1/b?project=medusa-test", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("create bucket %s: HTTP %d: %s", name, resp.StatusCode, bytes.TrimSpace(msg))
	}
	return nil
}
