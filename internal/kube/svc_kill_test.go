package kube

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/backup"
	"github.com/medusa-go/medusa/internal/grpcserver/medusapb"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/testbed"
)

// TestSvcKilledDuringBackup kills `medusa grpc-server` with SIGKILL while
// a backup uploads (a slow bandwidth cap), then starts it again on the
// same state directory: BackupStatus answers FAILED (not IN_PROGRESS)
// within a bounded time, the marker and snapshot the killed process left
// do not block the next AsyncBackup, and the failed name can be requested
// again (the backup resumes it).
func TestSvcKilledDuringBackup(t *testing.T) {
	n := testbed.SharedNode(t)
	srv := testbed.S3T(t)
	dir := t.TempDir()
	ini := filepath.Join(dir, "medusa.ini")
	const prefix = "svckill"
	svcINI(t, ini, n, srv, prefix, 0, map[string]string{"transfer_max_bandwidth": "32KB/s", "concurrent_transfers": "1"})
	b := newSvcBed(t, n, ini)
	ctx := t.Context()

	if _, err := b.c.AsyncBackup(ctx, &medusapb.BackupRequest{Name: "k1", Mode: medusapb.BackupRequest_FULL}); err != nil {
		t.Fatal(err)
	}
	st := iniStorage(t, ini)
	data := layout.New(prefix).DataPrefix(n.Host, "k1")
	deadline := time.Now().Add(2 * time.Minute)
	for countKeys(t, st, data) < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("the backup stored fewer than 3 files in 2 minutes:\n%s", b.out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.kill()
	if _, err := os.Stat(filepath.Join(b.tmp, backup.MarkerName)); err != nil {
		t.Fatalf("the killed server left no in-progress marker (the test would not exercise it): %v", err)
	}

	// Restart without the bandwidth cap, on the same state directory.
	svcINI(t, ini, n, srv, prefix, 0, nil)
	restarted := time.Now()
	b.start()
	r := b.waitBackup("k1", time.Minute)
	t.Logf("after the restart, BackupStatus(k1) = %v in %s", r.Status, fmtDur(time.Since(restarted)))
	if r.Status != medusapb.StatusType_FAILED {
		t.Fatalf("k1 after a kill mid-upload: %v, want FAILED", r)
	}
	if s, _ := b.findBackup("k1"); s == nil || s.Status != medusapb.StatusType_FAILED {
		t.Errorf("k1 in GetBackups after the restart: %v, want FAILED", s)
	}

	if _, err := b.c.AsyncBackup(ctx, &medusapb.BackupRequest{Name: "k2"}); err != nil {
		t.Fatalf("AsyncBackup(k2) after the restart: %v", err)
	}
	if r := b.waitBackup("k2", 3*time.Minute); r.Status != medusapb.StatusType_SUCCESS {
		t.Fatalf("k2: %v\n%s", r, b.out.String())
	}
	if left, _ := filepath.Glob(filepath.Join(n.DataDir, "*", "*", "snapshots", "medusa-k1")); len(left) > 0 {
		t.Errorf("the killed backup's snapshot is still there after the next backup: %s", left[0])
	}

	resp, err := b.c.AsyncBackup(ctx, &medusapb.BackupRequest{Name: "k1", Mode: medusapb.BackupRequest_FULL})
	if err != nil || resp.Status != medusapb.StatusType_IN_PROGRESS {
		t.Fatalf("AsyncBackup(k1) again after it failed: %v %v", resp, err)
	}
	if r := b.waitBackup("k1", 3*time.Minute); r.Status != medusapb.StatusType_SUCCESS {
		t.Fatalf("k1 requested again: %v\n%s", r, b.out.String())
	}
	if !strings.Contains(b.out.String(), "Resuming backup k1") {
		t.Errorf("k1 requested again did not resume the killed run:\n%s", b.out.String())
	}
}
