package grpcserver

import (
	"context"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/testbed"
)

// probe runs the real grpc_health_probe with args, as kubelet runs the
// operator's exec probe, and returns its exit code, output and duration.
func probe(t *testing.T, bin string, args ...string) (int, string, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	d := time.Since(start)
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run %s: %v", bin, err)
		}
		return ee.ExitCode(), string(out), d
	}
	return 0, string(out), d
}

// TestHealthProbePlain: the operator's default probe, /bin/grpc_health_probe
// --addr=:<port>, against a server on all interfaces.
func TestHealthProbePlain(t *testing.T) {
	bin := testbed.HealthProbeT(t)
	r := startServer(t, Options{Addr: ":0"})
	code, out, d := probe(t, bin, "--addr=:"+r.port)
	if code != 0 || !strings.Contains(out, "SERVING") {
		t.Fatalf("grpc_health_probe exited %d: %s", code, out)
	}
	t.Logf("probe answered in %v: %s", d.Round(time.Millisecond), strings.TrimSpace(out))
}

// TestHealthProbeMTLS: the probe exactly as the operator writes it when
// spec.medusa.serviceProperties.encryption is set (the server's own
// certificate as client certificate), and probes that must fail.
func TestHealthProbeMTLS(t *testing.T) {
	bin := testbed.HealthProbeT(t)
	f := writeCerts(t)
	r := startServer(t, Options{Addr: ":0", GRPC: mtlsConfig(f)})
	addr := "--addr=:" + r.port
	code, out, _ := probe(t, bin, addr, "--tls", "--tls-ca-cert="+f.CACert,
		"--tls-client-cert="+f.ServerCert, "--tls-client-key="+f.ServerKey)
	if code != 0 || !strings.Contains(out, "SERVING") {
		t.Fatalf("operator's mTLS probe exited %d: %s", code, out)
	}
	for name, args := range map[string][]string{
		"plaintext":             {addr},
		"no client certificate": {addr, "--tls", "--tls-ca-cert=" + f.CACert},
		"foreign client cert":   {addr, "--tls", "--tls-ca-cert=" + f.CACert, "--tls-client-cert=" + f.OtherCert, "--tls-client-key=" + f.OtherKey},
	} {
		code, out, _ := probe(t, bin, append(args, "--connect-timeout=300ms")...) // fails faster
		if code == 0 {
			t.Errorf("%s: probe succeeded, want refused: %s", name, out)
		}
		t.Logf("%s: exit %d: %s", name, code, strings.TrimSpace(out))
	}
}

// TestHealthUnderLoad: kubelet's probe has a 1 s timeout (the operator's
// default) and 10 failures restart the container. While the server's own
// process saturates every CPU and writes and syncs files, as a backup
// does, each probe must still answer within 1 s.
func TestHealthUnderLoad(t *testing.T) {
	bin := testbed.HealthProbeT(t)
	r := startServer(t, Options{Addr: ":0"})

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) { // CPU: every core busy, like hashing and compression
		wg.Go(func() {
			x := uint64(1)
			for ctx.Err() == nil {
				for range 1 << 16 {
					x = x*6364136223846793005 + 1442695040888963407
				}
			}
			_ = x
		})
	}
	dir := t.TempDir()
	wg.Go(func() { // IO: 4 MiB writes with fsync, like sstable uploads staging
		buf := make([]byte, 4<<20)
		_, _ = rand.Read(buf)
		for i := 0; ctx.Err() == nil; i++ {
			p := filepath.Join(dir, "load")
			if f, err := os.Create(p); err == nil {
				_, _ = f.Write(buf)
				_ = f.Sync()
				_ = f.Close()
			}
		}
	})
	defer func() { stop(); wg.Wait() }()
	time.Sleep(200 * time.Millisecond) // let the load build up

	var worst time.Duration
	const n = 15
	for range n {
		code, out, d := probe(t, bin, "--addr=:"+r.port) // default 1 s connect and rpc timeouts
		if code != 0 {
			t.Fatalf("probe under load exited %d after %v: %s", code, d, out)
		}
		worst = max(worst, d)
		time.Sleep(50 * time.Millisecond)
	}
	if worst > time.Second {
		t.Fatalf("slowest probe took %v, kubelet's timeout is 1 s", worst)
	}
	t.Logf("%d probes under CPU+IO load, slowest %v (process start included)", n, worst.Round(time.Millisecond))
}
