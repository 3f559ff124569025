package cassandra

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

func TestBackoffDelay(t *testing.T) {
	t.Parallel()
	b := DefaultBackoff()
	want := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second, 120 * time.Second, 120 * time.Second}
	for i, w := range want {
		if got := b.Delay(i + 1); got != w {
			t.Errorf("Delay(%d) = %s, want %s", i+1, got, w)
		}
	}
	if b.Attempts != 7 {
		t.Errorf("Attempts = %d, want 7", b.Attempts)
	}
	small := Backoff{Attempts: 3, Initial: time.Millisecond, Max: 3 * time.Millisecond}
	if small.Delay(1) != time.Millisecond || small.Delay(2) != 2*time.Millisecond || small.Delay(3) != 3*time.Millisecond {
		t.Errorf("small delays: %s %s %s", small.Delay(1), small.Delay(2), small.Delay(3))
	}
}

func TestCQLOptionsDefaults(t *testing.T) {
	t.Parallel()
	o := CQLOptionsFor(&NodeConfig{ListenAddress: "10.1.2.3", NativePort: 9142})
	if o.Host != "10.1.2.3" || o.Port != 9142 {
		t.Fatalf("CQLOptionsFor = %+v", o)
	}
	var z CQLOptions
	z.setDefaults()
	if z.Port != 9042 || z.ConnectTimeout != DefaultConnectTimeout || z.Timeout != DefaultQueryTimeout ||
		z.Backoff != DefaultBackoff() || z.Logger == nil {
		t.Fatalf("defaults = %+v", z)
	}
}

// countingHandler counts warnings and runs onWarn for each.
type countingHandler struct {
	slog.Handler
	n      atomic.Int32
	onWarn func()
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *countingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelWarn {
		h.n.Add(1)
		if h.onWarn != nil {
			h.onWarn()
		}
	}
	return nil
}

func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func TestConnectRetries(t *testing.T) {
	t.Parallel()
	h := &countingHandler{Handler: slog.DiscardHandler}
	port := closedPort(t)
	_, err := Connect(t.Context(), CQLOptions{
		Host: "127.0.0.1", Port: port, Username: "u", Password: "very-secret-pw",
		ConnectTimeout: time.Second, Backoff: Backoff{Attempts: 3, Initial: time.Millisecond, Max: 2 * time.Millisecond},
		Logger: slog.New(h),
	})
	if err == nil {
		t.Fatal("Connect to a closed port succeeded")
	}
	msg := err.Error()
	if !strings.Contains(msg, "cql connect to 127.0.0.1:") || !strings.Contains(msg, "(try 3 of 3)") || strings.Contains(msg, "very-secret-pw") {
		t.Errorf("error = %q", msg)
	}
	if h.n.Load() != 2 {
		t.Errorf("%d retry warnings, want 2", h.n.Load())
	}
}

func TestConnectCancelledDuringWait(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	h := &countingHandler{Handler: slog.DiscardHandler, onWarn: cancel}
	_, err := Connect(ctx, CQLOptions{
		Host: "127.0.0.1", Port: closedPort(t), ConnectTimeout: time.Second,
		Backoff: Backoff{Attempts: 7, Initial: time.Minute, Max: time.Minute}, Logger: slog.New(h),
	})
	if err == nil || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "try 1 of 7") {
		t.Fatalf("error = %v, want the first failure and context.Canceled", err)
	}
}

func TestConnectBadTLSFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p, err := newTestPKI(dir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, ca, cert, key, want string
	}{
		{"missing CA", filepath.Join(dir, "nope.pem"), "", "", "certfile:"},
		{"CA not PEM", p.ClientKey, "", "", "no PEM certificate"},
		{"cert without key", p.CA, p.ClientCert, "", "usercert and userkey must be set together"},
		{"key does not match", p.CA, p.ClientCert, p.ServerKey, "usercert/userkey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Connect(t.Context(), CQLOptions{Host: "127.0.0.1", Port: 1, CAFile: tt.ca, CertFile: tt.cert, KeyFile: tt.key})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "127.0.0.1:1") {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestClientTLS(t *testing.T) {
	t.Parallel()
	p, err := newTestPKI(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tc, err := clientTLS(p.CA, p.ClientCert, p.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	if tc.MinVersion != tls.VersionTLS12 || len(tc.Certificates) != 1 || tc.VerifyConnection == nil {
		t.Fatalf("config = %+v", tc)
	}
	srv := readCert(t, p.ServerCert)
	if err := tc.VerifyConnection(tls.ConnectionState{PeerCertificates: []*x509.Certificate{srv}}); err != nil {
		t.Errorf("server certificate of the CA rejected: %v", err)
	}
	other, err := clientTLS(p.OtherCA, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := other.VerifyConnection(tls.ConnectionState{PeerCertificates: []*x509.Certificate{srv}}); err == nil {
		t.Error("server certificate of another CA accepted")
	}
	if err := tc.VerifyConnection(tls.ConnectionState{}); err == nil {
		t.Error("no server certificate accepted")
	}
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLocalDCFilter(t *testing.T) {
	t.Parallel()
	host := func(ip, dc string) *gocql.HostInfo {
		h, err := gocql.NewTestHostInfoFromRow(map[string]any{
			"rpc_address": net.ParseIP(ip), "data_center": dc, "rack": "r1", "host_id": gocql.MustRandomUUID(),
		})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	f := newLocalDCFilter("10.0.0.1")
	steps := []struct {
		ip, dc string
		accept bool
	}{
		{"10.0.0.2", "dc1", false}, // before the contact node is known
		{"10.0.0.1", "dc1", true},
		{"10.0.0.2", "dc1", true},
		{"10.0.0.3", "dc2", false},
	}
	for _, s := range steps {
		if got := f.Accept(host(s.ip, s.dc)); got != s.accept {
			t.Errorf("Accept(%s %s) = %v, want %v", s.ip, s.dc, got, s.accept)
		}
	}
}

func TestLookupIP(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"127.0.0.1": "127.0.0.1", "::1": "::1", "localhost": "127.0.0.1"} {
		got, err := lookupIP(t.Context(), in)
		if err != nil || got != want {
			t.Errorf("lookupIP(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := lookupIP(t.Context(), "no-such-host.invalid"); err == nil {
		t.Error("an unknown host resolved")
	}
}

func TestIsAuthError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want bool
	}{
		{errors.New("unable to create session: Provided username cassandra and/or password are incorrect"), true},
		{errors.New("authentication required (using \"org.apache.cassandra.auth.PasswordAuthenticator\")"), true},
		{errors.New("dial tcp 127.0.0.1:9042: connect: connection refused"), false},
	}
	for _, tt := range tests {
		if got := isAuthError(tt.err); got != tt.want {
			t.Errorf("isAuthError(%v) = %v", tt.err, got)
		}
	}
}

func TestConnectCancelledBefore(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := Connect(ctx, CQLOptions{Host: "127.0.0.1", Port: closedPort(t)})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "cql connect to 127.0.0.1:") {
		t.Fatalf("error = %v", err)
	}
}
