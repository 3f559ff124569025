package grpcserver

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/medusa-go/medusa/internal/grpcserver/medusapb"
)

// waitStatus polls BackupStatus until it is not IN_PROGRESS.
func waitStatus(t *testing.T, s *Service, name string) *medusapb.BackupStatusResponse {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := s.BackupStatus(t.Context(), &medusapb.BackupStatusRequest{BackupName: name})
		if err != nil {
			t.Fatalf("BackupStatus(%s): %v", name, err)
		}
		if r.Status != medusapb.StatusType_IN_PROGRESS {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("backup %s still IN_PROGRESS after 10 s", name)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func code(err error) codes.Code { return status.Code(err) }

// readRecord reads the on-disk record of name.
func readRecord(t *testing.T, dir, name string) record {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "backup-"+name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var r record
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestAsyncBackupLifecycle: IN_PROGRESS at once (nothing in storage yet
// matters), one backup at a time, a repeated name never restarts nor
// fails the backup, SUCCESS with both times, and the state on disk.
func TestAsyncBackupLifecycle(t *testing.T) {
	f := newFakeServices(t)
	dir := t.TempDir()
	s := newTestService(t, f, dir, nil)
	f.b.hang.Store(true) // BackupStatus of an accepted name must not need storage
	resp, err := s.AsyncBackup(t.Context(), &medusapb.BackupRequest{Name: "job-1", Mode: medusapb.BackupRequest_FULL})
	if err != nil || resp.Status != medusapb.StatusType_IN_PROGRESS || resp.BackupName != "job-1" {
		t.Fatalf("AsyncBackup: %v %v", resp, err)
	}
	st, err := s.BackupStatus(t.Context(), &medusapb.BackupStatusRequest{BackupName: "job-1"})
	if err != nil || st.Status != medusapb.StatusType_IN_PROGRESS || st.StartTime == "" || st.FinishTime != "" {
		t.Fatalf("BackupStatus right after AsyncBackup: %v %v", st, err)
	}
	f.b.hang.Store(false)
	if !s.Busy() {
		t.Error("Busy() is false while a backup runs")
	}
	if r := readRecord(t, dir, "job-1"); r.Status != statusInProgress || r.Mode != "full" || r.PID != os.Getpid() {
		t.Errorf("record while running: %+v", r)
	}
	_, err = s.AsyncBackup(t.Context(), &medusapb.BackupRequest{Name: "job-2"})
	if code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "job-1") {
		t.Errorf("second backup while job-1 runs: %v, want FailedPrecondition naming job-1", err)
	}
	if _, err := s.BackupStatus(t.Context(), &medusapb.BackupStatusRequest{BackupName: "job-2"}); code(err) != codes.NotFound {
		t.Errorf("status of the refused job-2: %v, want NotFound", err)
	}
	again, err := s.AsyncBackup(t.Context(), &medusapb.BackupRequest{Name: "job-1", Mode: medusapb.BackupRequest_FULL})
	if err != nil || again.Status != medusapb.StatusType_IN_PROGRESS {
		t.Errorf("AsyncBackup(job-1) again while it runs: %v %v", again, err)
	}
	f.gate("job-1") <- nil
	done := waitStatus(t, s, "job-1")
	if done.Status != medusapb.StatusType_SUCCESS || done.FinishTime == "" {
		t.Fatalf("final status: %v", done)
	}
	if _, err := time.ParseInLocation(BackupStatusTimeFormat, done.FinishTime, time.Local); err != nil {
		t.Errorf("finish time %q: %v", done.FinishTime, err)
	}
	if s.Busy() {
		t.Error("Busy() after the backup ended")
	}
	// A MedusaBackupJob re-created with the same name: no new backup, and
	// the status stays SUCCESS (Python Medusa turned it FAILED).
	again, err = s.AsyncBackup(t.Context(), &medusapb.BackupRequest{Name: "job-1", Mode: medusapb.BackupRequest_FULL})
	if err != nil || again.Status != medusapb.StatusType_SUCCESS {
		t.Errorf("AsyncBackup(job-1) after it finished: %v %v", again, err)
	}
	if st := waitStatus(t, s, "job-1"); st.Status != medusapb.StatusType_SUCCESS {
		t.Errorf("status after the repeated request: %v", st)
	}
	if n := f.callCount("job-1"); n != 1 {
		t.Errorf("job-1 was run %d times, want 1", n)
	}
	if r := readRecord(t, dir, "job-1"); r.Status != statusSuccess || r.Finished.IsZero() {
		t.Errorf("record after the end: %+v", r)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) > 0 {
		t.Errorf("temporary files left in the state directory: %v", left)
	}
}

// TestFailedBackupThenRetry: a failed backup is FAILED; the same name may
// then be requested again (the backup resumes it).
func TestFailedBackupThenRetry(t *testing.T) {
	f := newFakeServices(t)
	s := newTestService(t, f, t.TempDir(), nil)
	if _, err := s.AsyncBackup(t.Context(), &medusapb.BackupRequest{Name: "b1"}); err != nil {
		t.Fatal(err)
	}
	f.gate("b1") <- os.ErrPermission
	if st := waitStatus(t, s, "b1"); st.Status != medusapb.StatusType_FAILED {
		t.Fatalf("status of a failed backup: %v", st)
	}
	resp, err := s.AsyncBackup(t.Context(), &medusapb.BackupRequest{Name: "b1"})
	if err != nil || resp.Status != medusapb.StatusType_IN_PROGRESS {
		t.Fatalf("AsyncBackup(b1) after it failed: %v %v", resp, err)
	}
	f.gate("b1") <- nil
	if st := waitStatus(t, s, "b1"); st.Status != medusapb.StatusType_SUCCESS {
		t.Fatalf("status of the retried backup: %v", st)
	}
	if n := f.callCount("b1"); n != 2 {
		t.Errorf("b1 ran %d times, want 2", n)
	}
}

// TestSyncBackup: Backup answers when the backup ended; a failure is an
// Internal error naming the cause.
func TestSyncBackup(t *testing.T) {
	f := newFakeServices(t)
	s := newTestService(t, f, t.TempDir(), nil)
	f.gate("s1") <- nil
	resp, err := s.Backup(t.Context(), &medusapb.BackupRequest{Name: "s1", Mode: medusapb.BackupRequest_FULL})
	if err != nil || resp.Status != medusapb.StatusType_SUCCESS {
		t.Fatalf("Backup(s1): %v %v", resp, err)
	}
	f.gate("s2") <- os.ErrPermission
	_, err = s.Backup(t.Context(), &medusapb.BackupRequest{Name: "s2"})
	if code(err) != codes.Internal || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("Backup(s2) that fails: %v, want Internal with the cause", err)
	}
	if _, err := s.AsyncBackup(t.Context(), &medusapb.BackupRequest{Name: "bad/name"}); code(err) != codes.InvalidArgument {
		t.Errorf("AsyncBackup with a slash in the name: %v, want InvalidArgument", err)
	}
}

// TestStopCancels: Stop (SIGTERM) cancels the running backup, so a
// waiting Backup call returns at once; the backup is recorded FAILED and
// no new backup is accepted.
func TestStopCancels(t *testing.T) {
	f := newFakeServices(t)
	dir := t.TempDir()
	s := newTestService(t, f, dir, nil)
	errc := make(chan error, 1)
	go func() {
		_, err := s.Backup(t.Context(), &medusapb.BackupRequest{Name: "long"})
		errc <- err
	}()
	for !s.Busy() {
		time.Sleep(time.Millisecond)
	}
	s.Stop()
	select {
	case err := <-errc:
		if code(err) != codes.Internal || !strings.Contains(err.Error(), "server stopped") {
			t.Errorf("Backup after Stop: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Backup still waiting 5 s after Stop")
	}
	if r := readRecord(t, dir, "long"); r.Status != statusFailed {
		t.Errorf("record after Stop: %+v", r)
	}
	if _, err := s.AsyncBackup(t.Context(), &medusapb.BackupRequest{Name: "late"}); code(err) != codes.Unavailable {
		t.Errorf("AsyncBackup after Stop: %v", err)
	}
}
