package kube

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/grpcserver/medusapb"
	"github.com/medusa-go/medusa/internal/testbed"
)

// TestSvcConfigChangeExits rewrites the medusa.ini of an idle
// `medusa grpc-server`: the server stops on its own and exits 0, which is
// how the sidecar picks up new settings (kubelet starts it again).
func TestSvcConfigChangeExits(t *testing.T) {
	n := testbed.SharedNode(t)
	srv := testbed.S3T(t)
	ini := filepath.Join(t.TempDir(), "medusa.ini")
	svcINI(t, ini, n, srv, "svcreload", 0, nil)
	b := newSvcBed(t, n, ini)
	if _, err := b.c.GetBackups(t.Context(), &medusapb.GetBackupsRequest{}); err != nil {
		t.Fatalf("GetBackups before the change: %v", err)
	}
	svcINI(t, ini, n, srv, "svcreload", 0, map[string]string{"max_backup_count": "3"})
	changed := time.Now()
	cmd := b.cmd
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		b.cmd = nil
		if err != nil {
			t.Fatalf("grpc-server exited with %v after medusa.ini changed, want exit 0:\n%s", err, b.out.String())
		}
		t.Logf("grpc-server exited 0 %s after medusa.ini changed", fmtDur(time.Since(changed)))
	case <-time.After(30 * time.Second):
		t.Fatalf("grpc-server still runs 30 s after medusa.ini changed:\n%s", b.out.String())
	}
	if !strings.Contains(b.out.String(), "medusa.ini changed") {
		t.Errorf("no log line says why the server stopped:\n%s", b.out.String())
	}
}
