package s3

import (
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/storage"
)

// TestReadTimeoutOnSilentServer: a server that accepts a request and never
// answers fails it after ReadTimeout with a transient error (botocore's
// read_timeout), instead of hanging.
func TestReadTimeoutOnSilentServer(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release // answer only when the test is over
	}))
	defer srv.Close()
	defer close(release)
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	p, _ := strconv.Atoi(port)
	b, err := New(t.Context(), Options{Provider: "s3_compatible", Bucket: "b", Host: host, Port: p,
		ReadTimeout: 200 * time.Millisecond,
		KeyFile:     writeKeyFile(t, "[default]\naws_access_key_id=A\naws_secret_access_key=B\n", 0o600)})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	_, err = b.Stat(t.Context(), "k")
	if err == nil || !storage.IsTransient(err) {
		t.Fatalf("Stat against a silent server: %v, want a transient timeout", err)
	}
	t.Logf("silent server: %v", err)
}

// TestSSLCertFile: with ssl_verify = true, a store whose certificate is
// signed by a CA listed in SSL_CERT_FILE is trusted. Go reads SSL_CERT_FILE
// once per process, so the check runs in a child test process.
func TestSSLCertFile(t *testing.T) {
	if addr := os.Getenv("MEDUSA_S3_TLS_CHILD"); addr != "" {
		sslCertFileChild(t, addr)
		return
	}
	f := newFakeS3(t, "tls")
	ts := httptest.NewUnstartedServer(f.srv.Config.Handler)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.StartTLS()
	defer ts.Close()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
	if err := os.WriteFile(caFile, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, certFile string
		wantOK         bool
	}{{"CA in SSL_CERT_FILE", caFile, true}, {"CA missing", filepath.Join(t.TempDir(), "none.pem"), false}} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestSSLCertFile$", "-test.v")
			cmd.Env = append(os.Environ(), "MEDUSA_S3_TLS_CHILD="+strings.TrimPrefix(ts.URL, "https://"),
				"SSL_CERT_FILE="+tc.certFile, "SSL_CERT_DIR="+t.TempDir())
			out, err := cmd.CombinedOutput()
			if (err == nil) != tc.wantOK {
				t.Errorf("child with SSL_CERT_FILE=%s: err %v, want success %v; output:\n%s", tc.certFile, err, tc.wantOK, out)
			}
			if !tc.wantOK && !strings.Contains(string(out), "certificate signed by unknown authority") {
				t.Errorf("child failed for another reason than the certificate:\n%s", out)
			}
		})
	}
	if _, ok := f.object("k"); !ok {
		t.Error("the child's upload did not arrive")
	}
}

func sslCertFileChild(t *testing.T, addr string) {
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	b, err := New(t.Context(), Options{Provider: "s3_compatible", Bucket: "tls", Host: host, Port: p,
		Secure: true, SSLVerify: true,
		KeyFile: writeKeyFile(t, "[default]\naws_access_key_id=A\naws_secret_access_key=B\n", 0o600)})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.Put(t.Context(), "k", strings.NewReader("v")); err != nil {
		t.Fatalf("Put with ssl_verify=true: %v", err)
	}
}
