package kube

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/cli"
	"github.com/medusa-go/medusa/internal/grpcserver"
	"github.com/medusa-go/medusa/internal/grpcserver/medusapb"
	"github.com/medusa-go/medusa/internal/testbed"
)

// TestTransportHealthDuringBackup: kubelet runs the operator's exec probe
// (grpc_health_probe, 1 s timeout) every 10 s and restarts the sidecar after
// 10 failures. Backups of the shared node to S3 run back to back in the
// server's own process (as the sidecar runs them: nodetool JVMs, hashing,
// uploads) while the real probe checks the server; every check must answer
// SERVING within 1 s.
func TestTransportHealthDuringBackup(t *testing.T) {
	probe := testbed.HealthProbeT(t)
	n := testbed.SharedNode(t)
	s3 := testbed.S3T(t)
	dir := t.TempDir()
	ini := filepath.Join(dir, "medusa.ini")
	if err := (testbed.MedusaINI{S3: s3, User: s3.Restricted, Bucket: s3.Bucket, Prefix: "transport-health",
		Node: n, FQDN: n.Host, KeyFile: filepath.Join(dir, "credentials")}).Write(ini); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ready := make(chan net.Addr, 1)
	served := make(chan error, 1)
	go func() {
		served <- grpcserver.Serve(ctx, grpcserver.Options{Addr: ":0", Service: medusapb.UnimplementedMedusaServer{},
			Ready: func(a net.Addr) { ready <- a }})
	}()
	var port string
	select {
	case a := <-ready:
		_, port, _ = net.SplitHostPort(a.String())
	case err := <-served:
		t.Fatalf("Serve: %v", err)
	}

	const backups = 3
	var wg sync.WaitGroup
	backupErr := make(chan error, 1)
	backing := make(chan struct{})
	wg.Go(func() {
		defer close(backing)
		for i := range backups {
			var out bytes.Buffer
			code := cli.Execute(ctx, cli.Env{
				Args:   []string{"--config-file", ini, "backup", "--backup-name", fmt.Sprintf("health-%d", i), "--mode", "full"},
				Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" },
			})
			if code != 0 {
				backupErr <- fmt.Errorf("backup health-%d exited %d:\n%s", i, code, out.String())
				return
			}
		}
	})

	var lat []time.Duration
	start := time.Now()
	for done := false; !done; {
		select {
		case <-backing:
			done = true
			continue
		default:
		}
		t0 := time.Now()
		out, err := exec.CommandContext(ctx, probe, "--addr=:"+port).CombinedOutput()
		d := time.Since(t0)
		if err != nil || !strings.Contains(string(out), "SERVING") {
			t.Errorf("probe %d after %v: %v: %s", len(lat)+1, d, err, out)
		}
		lat = append(lat, d)
		time.Sleep(200 * time.Millisecond)
	}
	wg.Wait()
	select {
	case err := <-backupErr:
		t.Fatal(err)
	default:
	}
	elapsed := time.Since(start)
	cancel()
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if len(lat) < 5 {
		t.Fatalf("only %d probes ran during %d backups (%v): the load was too short to measure", len(lat), backups, elapsed)
	}
	slices.Sort(lat)
	worst := lat[len(lat)-1]
	t.Logf("%d backups in %v; %d probes: median %v, p90 %v, max %v (process start included)", backups,
		elapsed.Round(time.Millisecond), len(lat), lat[len(lat)/2].Round(time.Millisecond),
		lat[len(lat)*9/10].Round(time.Millisecond), worst.Round(time.Millisecond))
	if worst > time.Second {
		t.Errorf("slowest probe took %v; kubelet gives it 1 s", worst)
	}
}
