package grpcserver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/medusa-go/medusa/internal/grpcserver/medusapb"
	"github.com/medusa-go/medusa/internal/testbed"
)

// TestStoreLockAndLoad: records round-trip, a second server cannot use
// the same directory (the error names the holder), unreadable files are
// reported and skipped.
func TestStoreLockAndLoad(t *testing.T) {
	dir := t.TempDir()
	st, err := openStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := record{Name: "a.b-1", Mode: "full", Status: statusSuccess, Started: time.Unix(100, 0).UTC(),
		Finished: time.Unix(200, 0).UTC(), PID: 7}
	if err := st.put(want); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "backup-broken.json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := openStore(dir); err == nil || !strings.Contains(err.Error(), "in use by another medusa grpc-server") {
		t.Errorf("second open of a locked state directory: %v", err)
	}
	recs, problems, err := st.load()
	if err != nil || len(recs) != 1 || recs[0] != want {
		t.Errorf("load: %+v %v, want [%+v]", recs, err, want)
	}
	if len(problems) != 1 || !strings.Contains(problems[0], "backup-broken.json") {
		t.Errorf("problems: %v", problems)
	}
	if err := st.remove("a.b-1"); err != nil {
		t.Fatal(err)
	}
	st.close()
	st2, err := openStore(dir)
	if err != nil {
		t.Fatalf("open after the first server closed: %v", err)
	}
	defer st2.close()
	if recs, _, _ := st2.load(); len(recs) != 0 {
		t.Errorf("removed record still loaded: %+v", recs)
	}
}

// TestRestartResolvesOrphans: records a killed server left IN_PROGRESS
// are SUCCESS when the node backup finished in storage, FAILED otherwise,
// on disk too; a new backup then starts.
func TestRestartResolvesOrphans(t *testing.T) {
	f := newFakeServices(t)
	dir := t.TempDir()
	st, err := openStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now().Add(-time.Hour)
	for _, n := range []string{"done", "half", "none"} {
		if err := st.put(record{Name: n, Mode: "differential", Status: statusInProgress, Started: started, PID: 999999}); err != nil {
			t.Fatal(err)
		}
	}
	ancient := time.Now().Add(-100 * 24 * time.Hour)
	if err := st.put(record{Name: "ancient", Mode: "full", Status: statusSuccess, Started: ancient, Finished: ancient}); err != nil {
		t.Fatal(err)
	}
	st.close()
	f.bucket.Backup(testbed.NodeBackupSpec{FQDN: testFQDN, Name: "done", Started: started, Finished: true})
	f.bucket.Backup(testbed.NodeBackupSpec{FQDN: testFQDN, Name: "half", Started: started})

	s := newTestService(t, f, dir, nil)
	want := map[string]medusapb.StatusType{"done": medusapb.StatusType_SUCCESS,
		"half": medusapb.StatusType_FAILED, "none": medusapb.StatusType_FAILED}
	for name, w := range want {
		if got := waitStatus(t, s, name); got.Status != w {
			t.Errorf("%s after a restart: %v, want %v", name, got.Status, w)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for name, w := range want {
		for readRecord(t, dir, name).Status == statusInProgress && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if r := readRecord(t, dir, name); r.Status != w.String() || (w == medusapb.StatusType_FAILED && r.Error == "") {
			t.Errorf("record of %s: %+v, want %v with a reason", name, r, w)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "backup-ancient.json")); !os.IsNotExist(err) {
		t.Errorf("the record of a backup ended 100 days ago was kept: %v", err)
	}
	if resp, err := s.AsyncBackup(t.Context(), &medusapb.BackupRequest{Name: "next"}); err != nil ||
		resp.Status != medusapb.StatusType_IN_PROGRESS {
		t.Fatalf("a new backup after the restart: %v %v", resp, err)
	}
	f.gate("next") <- nil
	if st := waitStatus(t, s, "next"); st.Status != medusapb.StatusType_SUCCESS {
		t.Errorf("next: %v", st)
	}
}

// TestOrphanWithStorageDown: while storage cannot be read the orphan's
// status is an error (the operator retries), and after OrphanTimeout it
// is FAILED: never IN_PROGRESS forever.
func TestOrphanWithStorageDown(t *testing.T) {
	f := newFakeServices(t)
	dir := t.TempDir()
	st, err := openStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.put(record{Name: "o1", Mode: "full", Status: statusInProgress, Started: time.Now(), PID: 1}); err != nil {
		t.Fatal(err)
	}
	st.close()
	f.b.down.Store(true)
	s := newTestService(t, f, dir, func(c *Config) { c.OrphanTimeout = time.Nanosecond })
	deadline := time.Now().Add(5 * time.Second)
	for {
		r, err := s.BackupStatus(t.Context(), &medusapb.BackupStatusRequest{BackupName: "o1"})
		if err == nil {
			if r.Status != medusapb.StatusType_FAILED {
				t.Fatalf("orphan with storage down: %v, want FAILED", r)
			}
			break
		}
		if code(err) != codes.Unavailable {
			t.Fatalf("orphan with storage down: %v, want Unavailable until it is resolved", err)
		}
		if time.Now().After(deadline) {
			t.Fatal("orphan not resolved 5 s after its OrphanTimeout")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if r := readRecord(t, dir, "o1"); r.Status != statusFailed || !strings.Contains(r.Error, "could not be checked") {
		t.Errorf("record: %+v", r)
	}
}

// TestStatusFromStorage: names this server never ran are answered from
// storage as Medusa does.
func TestStatusFromStorage(t *testing.T) {
	f := newFakeServices(t)
	s := newTestService(t, f, t.TempDir(), nil)
	started := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	f.bucket.Backup(testbed.NodeBackupSpec{FQDN: testFQDN, Name: "cli-done", Started: started, Finished: true})
	f.bucket.Backup(testbed.NodeBackupSpec{FQDN: testFQDN, Name: "cli-half", Started: started})
	r, err := s.BackupStatus(t.Context(), &medusapb.BackupStatusRequest{BackupName: "cli-done"})
	if err != nil || r.Status != medusapb.StatusType_SUCCESS || r.StartTime != started.Local().Format(BackupStatusTimeFormat) ||
		r.FinishTime != started.Add(time.Hour).Local().Format(BackupStatusTimeFormat) {
		t.Errorf("cli-done: %v %v", r, err)
	}
	r, err = s.BackupStatus(t.Context(), &medusapb.BackupStatusRequest{BackupName: "cli-half"})
	if err != nil || r.Status != medusapb.StatusType_FAILED || r.FinishTime != "" {
		t.Errorf("cli-half: %v %v", r, err)
	}
	_, err = s.BackupStatus(t.Context(), &medusapb.BackupStatusRequest{BackupName: "nope"})
	if code(err) != codes.NotFound || !strings.Contains(err.Error(), "NotFound") {
		t.Errorf("unknown name: %v, want NotFound (the operator greps the text)", err)
	}
	// A name already complete in storage (made by the CLI) requested over
	// gRPC: SUCCESS, never FAILED.
	resp, err := s.AsyncBackup(t.Context(), &medusapb.BackupRequest{Name: "cli-done"})
	if err != nil || resp.Status != medusapb.StatusType_IN_PROGRESS {
		t.Fatalf("AsyncBackup(cli-done): %v %v", resp, err)
	}
	if st := waitStatus(t, s, "cli-done"); st.Status != medusapb.StatusType_SUCCESS {
		t.Errorf("cli-done requested again: %v, want SUCCESS", st)
	}
	f.b.hang.Store(true)
	began := time.Now()
	_, err = s.BackupStatus(t.Context(), &medusapb.BackupStatusRequest{BackupName: "other"})
	if code(err) != codes.Unavailable || time.Since(began) > 3*time.Second {
		t.Errorf("status with storage hanging: %v after %s, want Unavailable after the 0.5 s storage timeout", err, time.Since(began))
	}
}
