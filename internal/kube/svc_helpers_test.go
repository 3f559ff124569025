package kube

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/medusa-go/medusa/internal/app"
	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/grpcserver/medusapb"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/testbed"
)

// svcBed is one `medusa grpc-server` process under test, with its
// medusa.ini, state directory and restore-mapping directory; Restart
// starts it again on the same state, Kill kills it with SIGKILL.
type svcBed struct {
	t        *testing.T
	node     *testbed.Node
	bin      string
	ini      string
	stateDir string
	mapDir   string
	tmp      string
	addr     string

	cmd  *exec.Cmd
	out  *lockedBuffer
	conn *grpc.ClientConn
	c    medusapb.MedusaClient
}

// lockedBuffer collects the server's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// svcINI writes a medusa.ini for the shared node on srv (through the
// proxy port when proxyPort > 0) with extra storage keys.
func svcINI(t *testing.T, path string, n *testbed.Node, srv *testbed.S3Server, prefix string, proxyPort int,
	storageKeys map[string]string) {
	t.Helper()
	st := map[string]string{}
	for k, v := range storageKeys {
		st[k] = v
	}
	if proxyPort > 0 {
		st["port"] = strconv.Itoa(proxyPort)
	}
	err := testbed.MedusaINI{S3: srv, User: srv.Restricted, Bucket: srv.Bucket, Prefix: prefix, Node: n,
		FQDN: n.Host, KeyFile: filepath.Join(filepath.Dir(path), "credentials"),
		Extra: map[string]map[string]string{"storage": st}}.Write(path)
	if err != nil {
		t.Fatal(err)
	}
}

// newSvcBed builds medusa and starts `medusa grpc-server` with ini.
func newSvcBed(t *testing.T, n *testbed.Node, ini string) *svcBed {
	t.Helper()
	bin := medusaBinary(t)
	b := &svcBed{t: t, node: n, bin: bin, ini: ini, stateDir: filepath.Join(t.TempDir(), "state"),
		mapDir: filepath.Join(t.TempDir(), "restore_mapping"), tmp: t.TempDir()}
	t.Cleanup(b.stop)
	b.start()
	return b
}

// start starts the server on a free port and waits until its health
// service answers SERVING.
func (b *svcBed) start() {
	t := b.t
	t.Helper()
	port, err := testbed.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	b.addr = "127.0.0.1:" + strconv.Itoa(port)
	b.out = &lockedBuffer{}
	b.cmd = exec.Command(b.bin, "--config-file", b.ini, "grpc-server", "--listen", b.addr,
		"--state-dir", b.stateDir, "--restore-mapping-dir", b.mapDir, "--restore-seed", b.node.Host,
		"--storage-timeout", "5s")
	b.cmd.Env = append(os.Environ(), "TMPDIR="+b.tmp)
	b.cmd.Stdout, b.cmd.Stderr = b.out, b.out
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The operator's client: insecure, fail fast, 512 MiB replies, no deadline.
	b.conn, err = grpc.NewClient(b.addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.WaitForReady(false), grpc.MaxCallRecvMsgSize(512<<20)))
	if err != nil {
		t.Fatal(err)
	}
	b.c = medusapb.NewMedusaClient(b.conn)
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		r, err := healthpb.NewHealthClient(b.conn).Check(ctx, &healthpb.HealthCheckRequest{})
		cancel()
		if err == nil && r.Status == healthpb.HealthCheckResponse_SERVING {
			return
		}
		if time.Now().After(deadline) || b.cmd.ProcessState != nil {
			t.Fatalf("grpc-server not SERVING after 30 s (last: %v, %v):\n%s", r, err, b.out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop ends the server with SIGTERM (SIGKILL after 30 s) and logs its
// output when the test failed.
func (b *svcBed) stop() {
	if b.conn != nil {
		b.conn.Close()
		b.conn = nil
	}
	if b.cmd == nil || b.cmd.Process == nil {
		return
	}
	cmd := b.cmd
	b.cmd = nil
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			b.t.Errorf("grpc-server exited after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		b.t.Errorf("grpc-server did not stop within 30 s of SIGTERM")
	}
	if b.t.Failed() {
		b.t.Logf("grpc-server output:\n%s", b.out.String())
	}
}

// kill kills the server with SIGKILL.
func (b *svcBed) kill() {
	b.conn.Close()
	b.conn = nil
	if err := b.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		b.t.Fatal(err)
	}
	_ = b.cmd.Wait()
	b.cmd = nil
}

// waitBackup polls BackupStatus until name is no longer IN_PROGRESS.
func (b *svcBed) waitBackup(name string, limit time.Duration) *medusapb.BackupStatusResponse {
	t := b.t
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		r, err := b.c.BackupStatus(t.Context(), &medusapb.BackupStatusRequest{BackupName: name})
		if err != nil {
			t.Fatalf("BackupStatus(%s): %v\n%s", name, err, b.out.String())
		}
		if r.Status != medusapb.StatusType_IN_PROGRESS {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("backup %s still IN_PROGRESS after %s:\n%s", name, limit, b.out.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// findBackup returns the summary of name in GetBackups.
func (b *svcBed) findBackup(name string) (*medusapb.BackupSummary, *medusapb.GetBackupsResponse) {
	b.t.Helper()
	r, err := b.c.GetBackups(b.t.Context(), &medusapb.GetBackupsRequest{})
	if err != nil {
		b.t.Fatalf("GetBackups: %v", err)
	}
	for _, s := range r.Backups {
		if s == nil {
			b.t.Fatal("GetBackups returned a nil summary")
		}
		if s.BackupName == name {
			return s, r
		}
	}
	return nil, r
}

// iniStorage opens the storage of ini, as medusa does.
func iniStorage(t *testing.T, ini string) storage.Backend {
	t.Helper()
	cfg, _, err := config.Load(t.Context(), ini, config.Overrides{}, func(string) string { return "" })
	if err != nil {
		t.Fatalf("load %s: %v", ini, err)
	}
	st, err := app.New(cfg, nil).Storage(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// countKeys counts the objects under prefix.
func countKeys(t *testing.T, st storage.Backend, prefix string) int {
	t.Helper()
	n := 0
	for _, err := range st.List(t.Context(), prefix) {
		if err != nil {
			t.Fatalf("list %s: %v", prefix, err)
		}
		n++
	}
	return n
}

// timed runs f and returns how long it took.
func timed(f func()) time.Duration {
	began := time.Now()
	f()
	return time.Since(began)
}

func fmtDur(d time.Duration) string {
	return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
}
