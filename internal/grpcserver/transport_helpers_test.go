package grpcserver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/medusa-go/medusa/internal/grpcserver/medusapb"
)

// running is a server started by startServer.
type running struct {
	addr   string // 127.0.0.1:port
	port   string
	cancel context.CancelFunc
	done   chan error // Serve's result
}

// startServer runs Serve on a free localhost port with the Medusa service
// left unimplemented (the transport does not care) until the test ends.
func startServer(t *testing.T, o Options) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.Service == nil {
		o.Service = medusapb.UnimplementedMedusaServer{}
	}
	ready := make(chan net.Addr, 1)
	o.Ready = func(a net.Addr) { ready <- a }
	r := &running{cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- Serve(ctx, o) }()
	select {
	case a := <-ready:
		r.addr = a.String()
		_, r.port, _ = net.SplitHostPort(r.addr)
	case err := <-r.done:
		cancel()
		t.Fatalf("Serve: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("Serve did not start listening within 10 s")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(20 * time.Second):
			t.Error("Serve did not return within 20 s of its context's end")
		}
	})
	return r
}

// check runs one grpc.health.v1 Check of service "" with creds (nil:
// plaintext) and returns the status.
func check(t *testing.T, addr string, creds credentials.TransportCredentials) (healthpb.HealthCheckResponse_ServingStatus, error) {
	t.Helper()
	if creds == nil {
		creds = insecure.NewCredentials()
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		return 0, err
	}
	return resp.GetStatus(), nil
}

// probeClientTLS is what grpc_health_probe --tls --tls-ca-cert=ca.crt
// --tls-client-cert=tls.crt --tls-client-key=tls.key --addr=:port uses:
// the server's own certificate as client certificate, the chain verified
// against ca.crt for the host name localhost.
func probeClientTLS(t *testing.T, ca, cert, key string) *tls.Config {
	t.Helper()
	caPEM, err := os.ReadFile(ca)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatalf("%s: no certificate", ca)
	}
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}, ServerName: "localhost"}
}

// waitDone waits for Serve's result.
func waitDone(t *testing.T, r *running, within time.Duration) error {
	t.Helper()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(within):
		t.Fatalf("Serve did not return within %v", within)
		return errors.New("unreachable")
	}
}

// stub is a Medusa service with every rpc unimplemented.
type stub struct {
	medusapb.UnimplementedMedusaServer
}

// dialTLS returns a Medusa client over tlsConf.
func dialTLS(t *testing.T, addr string, tlsConf *tls.Config) medusapb.MedusaClient {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(tlsConf)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return medusapb.NewMedusaClient(conn)
}
