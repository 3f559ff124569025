package testbed

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestFaultProxy drives the proxy against a plain HTTP server: every
// fault kind is injected, counted, and a request without fault passes
// unchanged with the client's Host header.
func TestFaultProxy(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 1000)
	var gotHost string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotHost = r.Host
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	target := strings.TrimPrefix(srv.URL, "http://")

	tests := []struct {
		name    string
		opts    FaultOptions
		method  string
		status  int    // expected status; 0 means the transfer must fail
		inError string // in the body
		count   func(FaultCounts) int64
	}{
		{"errors", FaultOptions{ErrorRate: 1}, http.MethodGet, -1, "<Error><Code>", func(c FaultCounts) int64 { return c.Errors500 + c.Errors503 }},
		{"get reset", FaultOptions{ResetRate: 1}, http.MethodGet, 0, "", func(c FaultCounts) int64 { return c.GetResets }},
		{"put reset", FaultOptions{ResetRate: 1}, http.MethodPut, 0, "", func(c FaultCounts) int64 { return c.PutResets }},
		{"slow", FaultOptions{SlowRate: 1, SlowDelay: 50 * time.Millisecond}, http.MethodGet, 200, "", func(c FaultCounts) int64 { return c.Slow }},
		{"none", FaultOptions{}, http.MethodGet, 200, "", func(c FaultCounts) int64 { return c.Requests - c.Injected() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := StartFaultProxy(target, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Stop()
			p.Enable(true)
			client := &http.Client{Transport: &http.Transport{}}
			req, err := http.NewRequestWithContext(t.Context(), tt.method, p.Endpoint()+"/b/key", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Host = "signed.example:1234"
			resp, err := client.Do(req)
			var got []byte
			if err == nil {
				got, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			switch {
			case tt.status == 0:
				if err == nil {
					t.Fatalf("transfer succeeded (%d bytes), want a reset", len(got))
				}
			case err != nil:
				t.Fatalf("transfer failed: %v", err)
			case tt.status == -1:
				if resp.StatusCode != 500 && resp.StatusCode != 503 || !strings.Contains(string(got), tt.inError) {
					t.Fatalf("answer %d %q, want a 500/503 S3 error", resp.StatusCode, got)
				}
			default:
				if resp.StatusCode != tt.status || !bytes.Equal(got, body) || gotHost != req.Host {
					t.Fatalf("answer %d, %d bytes, host %q; want %d, %d bytes, host %q",
						resp.StatusCode, len(got), gotHost, tt.status, len(body), req.Host)
				}
			}
			if c := p.Counts(); tt.count(c) != 1 || c.Requests != 1 {
				t.Fatalf("counts %v: want 1 request with this fault", c)
			}
		})
	}
}

// TestBlackHole: a connection is accepted and no answer comes.
func TestBlackHole(t *testing.T) {
	b, err := StartBlackHole()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Stop()
	client := &http.Client{Timeout: 300 * time.Millisecond}
	_, err = client.Get("http://" + hostPort(b.Port) + "/")
	if err == nil || !strings.Contains(err.Error(), "Timeout") {
		t.Fatalf("err = %v, want a client timeout", err)
	}
	if b.Accepted() != 1 {
		t.Fatalf("accepted %d connections, want 1", b.Accepted())
	}
}
