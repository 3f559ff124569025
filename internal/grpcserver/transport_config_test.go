package grpcserver

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/medusa-go/medusa/internal/grpcserver/medusapb"
)

// medusa.ini rewritten while a backup runs: the server keeps serving until
// the backup ends, then stops with ErrConfigChanged (the command exits 0 and
// kubelet restarts the container with the new file).
func TestConfigChangeWaitsUntilIdle(t *testing.T) {
	ini := filepath.Join(t.TempDir(), "medusa.ini")
	if err := os.WriteFile(ini, []byte("[storage]\nbucket_name = a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var busy atomic.Bool
	busy.Store(true)
	r := startServer(t, Options{ConfigFile: ini, Busy: busy.Load, ConfigPoll: 10 * time.Millisecond})

	// Same content rewritten: no change.
	if err := os.WriteFile(ini, []byte("[storage]\nbucket_name = a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	busy.Store(false)
	assertServing(t, r, 200*time.Millisecond)

	busy.Store(true)
	if err := os.WriteFile(ini, []byte("[storage]\nbucket_name = b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	assertServing(t, r, 300*time.Millisecond) // busy: postponed

	busy.Store(false)
	start := time.Now()
	if err := waitDone(t, r, 5*time.Second); !errors.Is(err, ErrConfigChanged) {
		t.Fatalf("Serve returned %v, want ErrConfigChanged", err)
	}
	t.Logf("stopped %v after the operation ended", time.Since(start).Round(time.Millisecond))
	if _, err := check(t, r.addr, nil); err == nil {
		t.Error("server still answers after it stopped for the config change")
	}
}

// A missing file (e.g. during a ConfigMap volume swap) is no change; its
// return with other content is.
func TestConfigChangeIgnoresUnreadableFile(t *testing.T) {
	dir := t.TempDir()
	ini := filepath.Join(dir, "medusa.ini")
	if err := os.WriteFile(ini, []byte("v1"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := startServer(t, Options{ConfigFile: ini, ConfigPoll: 10 * time.Millisecond})
	if err := os.Remove(ini); err != nil {
		t.Fatal(err)
	}
	assertServing(t, r, 200*time.Millisecond)
	if err := os.WriteFile(ini, []byte("v2"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := waitDone(t, r, 5*time.Second); !errors.Is(err, ErrConfigChanged) {
		t.Fatalf("Serve returned %v, want ErrConfigChanged", err)
	}
}

// Cancelling the context (SIGTERM) stops the server with no error.
func TestServeStopsOnCancel(t *testing.T) {
	ini := filepath.Join(t.TempDir(), "medusa.ini")
	if err := os.WriteFile(ini, []byte("v1"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := startServer(t, Options{ConfigFile: ini, ConfigPoll: 10 * time.Millisecond})
	r.cancel()
	if err := waitDone(t, r, 5*time.Second); err != nil {
		t.Fatalf("Serve returned %v after cancel, want nil", err)
	}
}

// assertServing checks for d that Serve has not returned and health says SERVING.
func assertServing(t *testing.T, r *running, d time.Duration) {
	t.Helper()
	select {
	case err := <-r.done:
		r.done <- err
		t.Fatalf("Serve returned early: %v", err)
	case <-time.After(d):
	}
	if st, err := check(t, r.addr, nil); err != nil || st != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health: %v, %v; want SERVING", st, err)
	}
}

// blocking is a Medusa service whose GetBackups runs until its rpc is cut off.
type blocking struct {
	stub
	started chan struct{}
}

func (b blocking) GetBackups(ctx context.Context, _ *medusapb.GetBackupsRequest) (*medusapb.GetBackupsResponse, error) {
	close(b.started)
	<-ctx.Done()
	return nil, ctx.Err()
}

// A stop waits for running rpcs at most StopTimeout, then closes connections.
func TestStopTimeoutCutsRunningRPC(t *testing.T) {
	svc := blocking{started: make(chan struct{})}
	r := startServer(t, Options{Service: svc, StopTimeout: 200 * time.Millisecond})
	conn, err := grpc.NewClient(r.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rpcErr := make(chan error, 1)
	go func() {
		_, err := medusapb.NewMedusaClient(conn).GetBackups(context.Background(), &medusapb.GetBackupsRequest{})
		rpcErr <- err
	}()
	<-svc.started
	start := time.Now()
	r.cancel()
	if err := waitDone(t, r, 5*time.Second); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if d := time.Since(start); d < 200*time.Millisecond || d > 3*time.Second {
		t.Errorf("stopped after %v, want about the 200 ms StopTimeout", d)
	}
	if err := <-rpcErr; err == nil {
		t.Error("the running rpc succeeded; want it cut off")
	}
}

// A config change waits for a Medusa rpc in flight (a long PurgeBackups)
// even when Busy says idle; health checks do not count.
func TestConfigChangeWaitsForRunningRPC(t *testing.T) {
	ini := filepath.Join(t.TempDir(), "medusa.ini")
	if err := os.WriteFile(ini, []byte("v1"), 0o600); err != nil {
		t.Fatal(err)
	}
	svc := blocking{started: make(chan struct{})}
	r := startServer(t, Options{Service: svc, ConfigFile: ini, ConfigPoll: 10 * time.Millisecond,
		Busy: func() bool { return false }})
	conn, err := grpc.NewClient(r.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	callCtx, endCall := context.WithCancel(context.Background())
	defer endCall()
	go func() { _, _ = medusapb.NewMedusaClient(conn).GetBackups(callCtx, &medusapb.GetBackupsRequest{}) }()
	<-svc.started
	if err := os.WriteFile(ini, []byte("v2"), 0o600); err != nil {
		t.Fatal(err)
	}
	assertServing(t, r, 300*time.Millisecond)
	endCall() // the rpc ends
	if err := waitDone(t, r, 5*time.Second); !errors.Is(err, ErrConfigChanged) {
		t.Fatalf("Serve returned %v, want ErrConfigChanged once the rpc ended", err)
	}
}
