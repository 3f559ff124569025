package grpcserver

import (
	"context"
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/testbed"
)

func writeCerts(t *testing.T) testbed.MTLSFiles {
	t.Helper()
	f, err := testbed.WriteMTLS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mtlsConfig(f testbed.MTLSFiles) config.GRPC {
	return config.GRPC{CACert: f.CACert, TLSCert: f.ServerCert, TLSKey: f.ServerKey}
}

// The three ways k8ssandra-operator's side connects with encryption on, and
// the clients the server must refuse.
func TestMTLSClients(t *testing.T) {
	f := writeCerts(t)
	r := startServer(t, Options{GRPC: mtlsConfig(f)})

	operator, err := testbed.OperatorClientTLS(f.CACert, f.ClientCert, f.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	// The operator dials the pod IP: no host name to check, so a name the
	// certificate does not carry is fine.
	podIP := operator.Clone()
	podIP.ServerName = "10.244.1.7"
	if st, err := check(t, r.addr, credentials.NewTLS(podIP)); err != nil || st != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("operator client: status %v, err %v; want SERVING", st, err)
	}
	// The exec probe: the server's own certificate as client certificate, host name localhost.
	probe := probeClientTLS(t, f.CACert, f.ServerCert, f.ServerKey)
	if st, err := check(t, "localhost:"+r.port, credentials.NewTLS(probe)); err != nil || st != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("probe-style client: status %v, err %v; want SERVING", st, err)
	}
	// An rpc of the Medusa service goes through the same transport.
	conn := dialTLS(t, r.addr, operator)
	_, err = conn.GetBackups(context.Background(), nil)
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("GetBackups over mTLS: %v, want the stub's Unimplemented", err)
	}

	refused := map[string]*tls.Config{
		"no client certificate": {InsecureSkipVerify: true},
		"certificate of another CA": func() *tls.Config {
			c, err := testbed.OperatorClientTLS(f.CACert, f.OtherCert, f.OtherKey)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}(),
		"TLS 1.1": func() *tls.Config {
			c := operator.Clone()
			c.MinVersion, c.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
			return c
		}(),
	}
	for name, c := range refused {
		if st, err := check(t, r.addr, credentials.NewTLS(c)); err == nil {
			t.Errorf("%s: accepted (status %v), want refused", name, st)
		} else if status.Code(err) != codes.Unavailable {
			t.Errorf("%s: %v, want Unavailable (handshake refused)", name, err)
		}
	}
	// Plaintext against the TLS port fails too.
	if _, err := check(t, r.addr, nil); err == nil {
		t.Error("plaintext client accepted by the mTLS server")
	}
}

func TestPlaintextByDefault(t *testing.T) {
	r := startServer(t, Options{})
	if st, err := check(t, r.addr, nil); err != nil || st != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("status %v, err %v; want SERVING", st, err)
	}
}

func TestTLSConfigErrors(t *testing.T) {
	f := writeCerts(t)
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	keyPEM, err := os.ReadFile(f.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "absent.crt")
	for _, tc := range []struct {
		name string
		g    config.GRPC
		want []string
	}{
		{"only ca_cert", config.GRPC{CACert: f.CACert}, []string{"[grpc]", "ca_cert set", "tls_cert, tls_key missing"}},
		{"no key", config.GRPC{CACert: f.CACert, TLSCert: f.ServerCert}, []string{"[grpc]", "tls_key missing"}},
		{"ca missing", config.GRPC{CACert: missing, TLSCert: f.ServerCert, TLSKey: f.ServerKey}, []string{"ca_cert", missing, "no such file"}},
		{"ca garbage", config.GRPC{CACert: garbage, TLSCert: f.ServerCert, TLSKey: f.ServerKey}, []string{"ca_cert", garbage, "no PEM CERTIFICATE"}},
		{"key missing", config.GRPC{CACert: f.CACert, TLSCert: f.ServerCert, TLSKey: missing}, []string{"tls_key", missing}},
		{"key garbage", config.GRPC{CACert: f.CACert, TLSCert: f.ServerCert, TLSKey: garbage}, []string{"tls_cert", "tls_key", garbage}},
		{"key of another cert", config.GRPC{CACert: f.CACert, TLSCert: f.ServerCert, TLSKey: f.OtherKey}, []string{f.OtherKey, "does not match"}},
		{"cert is a key", config.GRPC{CACert: f.CACert, TLSCert: f.ServerKey, TLSKey: f.ServerKey}, []string{f.ServerKey}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Serve(context.Background(), Options{GRPC: tc.g, Addr: "127.0.0.1:0", Service: stub{}})
			if err == nil {
				t.Fatal("Serve started; want a configuration error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			// Never any key material in a message.
			if strings.Contains(err.Error(), "PRIVATE KEY") || strings.Contains(err.Error(), string(keyPEM[40:80])) {
				t.Errorf("error quotes key material: %q", err)
			}
		})
	}
}

// A renewed certificate (cert-manager rewrites the Secret's files) is
// served to the next connection without a restart; a broken rewrite keeps
// the previous one.
func TestCertificateRenewal(t *testing.T) {
	f := writeCerts(t)
	r := startServer(t, Options{GRPC: mtlsConfig(f)})
	serial := func() string {
		t.Helper()
		c, err := testbed.OperatorClientTLS(f.CACert, f.ClientCert, f.ClientKey)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := tls.Dial("tcp", r.addr, withH2(c))
		if err != nil {
			t.Fatalf("handshake: %v", err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	before := serial()

	// Renew: a new CA and certificates in place of the old files.
	g, err := testbed.WriteMTLS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for src, dst := range map[string]string{g.CACert: f.CACert, g.ServerCert: f.ServerCert, g.ServerKey: f.ServerKey,
		g.ClientCert: f.ClientCert, g.ClientKey: f.ClientKey} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	after := serial()
	if after == before {
		t.Fatalf("still serving certificate %s after the files were renewed", before)
	}
	// A broken key file: the renewed certificate stays in service.
	if err := os.WriteFile(f.ServerKey, []byte("truncated"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := serial(); got != after {
		t.Fatalf("serving %s after a broken rewrite, want the last good %s", got, after)
	}
}

func withH2(c *tls.Config) *tls.Config {
	c = c.Clone()
	c.NextProtos = []string{"h2"}
	return c
}
