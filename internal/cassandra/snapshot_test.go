package cassandra

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// recorder is an HTTP handler that records requests and answers with a
// fixed status and body.
type recorder struct {
	mu     sync.Mutex
	reqs   []recorded
	status int
	body   string
}

type recorded struct {
	Method, URI, ContentType, Body string
	ClientCerts                    int
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	rec := recorded{Method: req.Method, URI: req.URL.RequestURI(), ContentType: req.Header.Get("Content-Type"), Body: string(b)}
	if req.TLS != nil {
		rec.ClientCerts = len(req.TLS.PeerCertificates)
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, rec)
	r.mu.Unlock()
	w.WriteHeader(r.status)
	_, _ = io.WriteString(w, r.body)
}

func (r *recorder) last(t *testing.T) recorded {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reqs) == 0 {
		t.Fatal("no request received")
	}
	return r.reqs[len(r.reqs)-1]
}

func TestJolokiaSnapshotter(t *testing.T) {
	const (
		createBody = `{"type": "exec", "mbean": "org.apache.cassandra.db:type=StorageService", "operation": "takeSnapshot(java.lang.String,java.util.Map,[Ljava.lang.String;)", "arguments": ["medusa-b1", {}, []]}`
		clearBody  = `{"type": "exec", "mbean": "org.apache.cassandra.db:type=StorageService", "operation": "clearSnapshot", "arguments": ["medusa-b1", []]}`
	)
	tests := []struct {
		name    string
		status  int
		answer  string
		wantErr string
	}{
		{"ok", 200, `{"request": {}, "value": null, "timestamp": 1, "status": 200}`, ""},
		{"operation failed with HTTP 200", 200, `{"error_type": "java.io.IOException", "error": "java.io.IOException : Snapshot medusa-b1 already exists.", "status": 500}`, "status 500: java.io.IOException : Snapshot medusa-b1 already exists."},
		{"HTTP error", 403, `{"error": "forbidden", "status": 403}`, "HTTP 403 Forbidden: forbidden"},
		{"not JSON", 200, `<html>proxy</html>`, "answer is not JSON: <html>proxy</html>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{status: tt.status, body: tt.answer}
			srv := httptest.NewServer(rec)
			defer srv.Close()
			j := JolokiaSnapshotter{URL: srv.URL + "/jolokia/"}
			for _, step := range []struct {
				op   func(context.Context, string) error
				body string
				verb string
			}{{j.Create, createBody, "create snapshot medusa-b1"}, {j.Clear, clearBody, "clear snapshot medusa-b1"}} {
				err := step.op(t.Context(), "medusa-b1")
				got := rec.last(t)
				if got.Method != "POST" || got.URI != "/jolokia/" || got.ContentType != "application/json" || got.Body != step.body {
					t.Errorf("request = %+v\nwant body %s", got, step.body)
				}
				switch {
				case tt.wantErr == "" && err != nil:
					t.Errorf("%s: %v", step.verb, err)
				case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), step.verb)):
					t.Errorf("%s: error = %v, want %q", step.verb, err, tt.wantErr)
				}
			}
		})
	}
}

func TestJolokiaUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	err := JolokiaSnapshotter{URL: url}.Create(t.Context(), "medusa-x")
	if err == nil || !strings.Contains(err.Error(), "create snapshot medusa-x: jolokia") {
		t.Fatalf("error = %v", err)
	}
}

func TestManagementAPISnapshotter(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		wantErr string
	}{
		{"ok", 200, ""},
		{"anything but 200 is an error, as in Medusa", 204, "HTTP 204 No Content: (empty body)"},
		{"server error", 500, "HTTP 500 Internal Server Error: Cassandra says: boom"},
		{"bad request", 400, "HTTP 400 Bad Request: boom"},
		{"not found", 404, "HTTP 404 Not Found: boom (no snapshot endpoint there; [kubernetes] cassandra_url must end with /api/v0/ops/node/snapshots)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{status: tt.status, body: "boom"}
			srv := httptest.NewServer(rec)
			defer srv.Close()
			m, err := NewManagementAPISnapshotter(srv.URL+"/api/v0/ops/node/snapshots", MgmtAPITLS{})
			if err != nil {
				t.Fatal(err)
			}
			err = m.Create(t.Context(), "medusa-b1")
			got := rec.last(t)
			if got.Method != "POST" || got.URI != "/api/v0/ops/node/snapshots" || got.ContentType != "application/json" ||
				got.Body != `{"snapshot_name": "medusa-b1"}` {
				t.Errorf("create request = %+v", got)
			}
			checkErr(t, "create snapshot medusa-b1", err, tt.wantErr)
			err = m.Clear(t.Context(), "medusa-b1")
			got = rec.last(t)
			if got.Method != "DELETE" || got.URI != "/api/v0/ops/node/snapshots?snapshotNames=medusa-b1" || got.Body != "" {
				t.Errorf("clear request = %+v", got)
			}
			checkErr(t, "clear snapshot medusa-b1", err, tt.wantErr)
		})
	}
}

func checkErr(t *testing.T, prefix string, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Errorf("%s: %v", prefix, err)
		}
		return
	}
	if err == nil || !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), want) {
		t.Errorf("error = %v, want %q after %q", err, want, prefix)
	}
}

// TestManagementAPIMutualTLS: with tls_cert/tls_key the client switches
// http:// to https:// and presents its certificate; without ca_cert the
// server is not verified (Medusa), with ca_cert it must chain to it.
func TestManagementAPIMutualTLS(t *testing.T) {
	dir := t.TempDir()
	p, err := newTestPKI(dir)
	if err != nil {
		t.Fatal(err)
	}
	srvCert, err := tls.LoadX509KeyPair(p.ServerCert, p.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(p.CA)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	rec := &recorder{status: 200, body: "OK"}
	srv := httptest.NewUnstartedServer(rec)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{srvCert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.StartTLS()
	defer srv.Close()
	httpURL := "http://" + strings.TrimPrefix(srv.URL, "https://") + "/api/v0/ops/node/snapshots"

	tests := []struct {
		name    string
		tls     MgmtAPITLS
		wantErr string
	}{
		{"client cert, server not verified", MgmtAPITLS{TLSCert: p.ClientCert, TLSKey: p.ClientKey}, ""},
		{"client cert, server verified", MgmtAPITLS{CACert: p.CA, TLSCert: p.ClientCert, TLSKey: p.ClientKey}, ""},
		{"server from another CA", MgmtAPITLS{CACert: p.OtherCA, TLSCert: p.ClientCert, TLSKey: p.ClientKey}, "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := NewManagementAPISnapshotter(httpURL, tt.tls)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(m.URL, "https://") {
				t.Errorf("URL = %s, want https", m.URL)
			}
			err = m.Create(t.Context(), "medusa-tls")
			checkErr(t, "create snapshot medusa-tls", err, tt.wantErr)
			if tt.wantErr == "" && rec.last(t).ClientCerts != 1 {
				t.Errorf("server saw %d client certificates", rec.last(t).ClientCerts)
			}
		})
	}
	if _, err := NewManagementAPISnapshotter(httpURL, MgmtAPITLS{TLSCert: p.ClientCert, TLSKey: filepath.Join(dir, "none")}); err == nil {
		t.Error("missing tls_key accepted")
	}
}

func TestNodetoolSnapshotter(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "calls")
	script := filepath.Join(dir, "nodetool")
	body := "#!/bin/sh\necho \"$@\" >> " + log + "\ncase \"$*\" in *fail*) echo 'error: boom' >&2; exit 2;; esac\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	var s Snapshotter = NodetoolSnapshotter{Nodetool: Nodetool{Options: NodetoolOptions{
		Executable: script, Flags: []string{"-Dcom.sun.jndi.rmiURLParsing=legacy"}, Password: "pw-secret"}}}
	if err := s.Create(t.Context(), "medusa-b1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Clear(t.Context(), "medusa-b1"); err != nil {
		t.Fatal(err)
	}
	err := s.Create(t.Context(), "medusa-fail")
	if err == nil || !strings.Contains(err.Error(), "boom") || strings.Contains(err.Error(), "pw-secret") {
		t.Errorf("failing snapshot: error = %v", err)
	}
	calls, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	want := "-Dcom.sun.jndi.rmiURLParsing=legacy -pw pw-secret snapshot -t medusa-b1\n" +
		"-Dcom.sun.jndi.rmiURLParsing=legacy -pw pw-secret clearsnapshot -t medusa-b1\n" +
		"-Dcom.sun.jndi.rmiURLParsing=legacy -pw pw-secret snapshot -t medusa-fail\n"
	if string(calls) != want {
		t.Errorf("calls:\n%s\nwant:\n%s", calls, want)
	}
}

func TestNewSnapshotter(t *testing.T) {
	nt := NodetoolOptions{Executable: "/x/nodetool"}
	tests := []struct {
		name string
		o    SnapshotOptions
		want string // type name, or error text
	}{
		{"nodetool", SnapshotOptions{Nodetool: nt, CassandraURL: "http://ignored"}, "cassandra.NodetoolSnapshotter"},
		{"jolokia", SnapshotOptions{Kubernetes: true, CassandraURL: "http://127.0.0.1:8778/jolokia/"}, "cassandra.JolokiaSnapshotter"},
		{"management api", SnapshotOptions{Kubernetes: true, UseMgmtAPI: true, CassandraURL: "http://127.0.0.1:8080/api/v0/ops/node/snapshots"},
			"*cassandra.ManagementAPISnapshotter"},
		{"no url", SnapshotOptions{Kubernetes: true}, "cassandra_url must be set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSnapshotter(tt.o)
			got := fmt.Sprintf("%T", s)
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, tt.want) {
				t.Fatalf("NewSnapshotter = %s, want %s", got, tt.want)
			}
		})
	}
	s, _ := NewSnapshotter(SnapshotOptions{Nodetool: nt})
	if s.(NodetoolSnapshotter).Nodetool.Options.Executable != "/x/nodetool" {
		t.Error("nodetool options not passed on")
	}
}

func TestManagementAPIUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + MgmtAPISnapshotsPath
	srv.Close()
	err := ManagementAPISnapshotter{URL: url}.Create(t.Context(), "medusa-x")
	if err == nil || !strings.HasPrefix(err.Error(), "create snapshot medusa-x: management api POST "+url) ||
		!strings.Contains(err.Error(), "check [kubernetes] cassandra_url") {
		t.Fatalf("error = %v", err)
	}
}
