package grpcserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/medusa-go/medusa/internal/cluster"
	"github.com/medusa-go/medusa/internal/grpcserver/medusapb"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/metrics"
	"github.com/medusa-go/medusa/internal/purge"
	"github.com/medusa-go/medusa/internal/testbed"
)

// TestGetBackups: one summary per cluster backup, oldest first, with
// Medusa's fields; storage failures are errors, never an empty list.
func TestGetBackups(t *testing.T) {
	f := newFakeServices(t)
	s := newTestService(t, f, t.TempDir(), nil)
	if r, err := s.GetBackups(t.Context(), &medusapb.GetBackupsRequest{}); err != nil || len(r.Backups) != 0 ||
		r.OverallStatus != medusapb.StatusType_UNKNOWN {
		t.Fatalf("empty bucket: %v %v", r, err)
	}
	t0 := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	hosts := []string{testFQDN, "node2"}
	files := []string{"ks/t-1/nb-1-big-Data.db", "ks/t-1/nb-1-big-Index.db"}
	for _, h := range hosts {
		f.bucket.Backup(testbed.NodeBackupSpec{FQDN: h, Name: "b1", Started: t0, Finished: true, Full: true, Hosts: hosts, Files: files})
	}
	f.bucket.Backup(testbed.NodeBackupSpec{FQDN: testFQDN, Name: "b2", Started: t0.Add(time.Hour), Finished: true, Hosts: hosts, Files: files})
	r, err := s.GetBackups(t.Context(), &medusapb.GetBackupsRequest{})
	if err != nil || len(r.Backups) != 2 {
		t.Fatalf("GetBackups: %v %v", r, err)
	}
	b1, b2 := r.Backups[0], r.Backups[1]
	if b1.BackupName != "b1" || b1.Status != medusapb.StatusType_SUCCESS || b1.TotalNodes != 2 || b1.FinishedNodes != 2 ||
		b1.BackupType != "full" || b1.StartTime != t0.Unix() || b1.FinishTime != t0.Add(time.Hour).Unix() ||
		b1.TotalObjects != 4 || b1.TotalSize == 0 || len(b1.Nodes) != 2 || b1.Nodes[1].Host != "node2" ||
		!slices.Equal(b1.Nodes[1].Tokens, []int64{100}) {
		t.Errorf("b1: %v", b1)
	}
	if b2.BackupName != "b2" || b2.Status != medusapb.StatusType_IN_PROGRESS || b2.TotalNodes != 2 || b2.FinishedNodes != 1 ||
		b2.BackupType != "differential" || b2.FinishTime != 0 {
		t.Errorf("b2 (node2 missing): %v", b2)
	}
	if r.OverallStatus != medusapb.StatusType_IN_PROGRESS {
		t.Errorf("overall: %v", r.OverallStatus)
	}
	g, err := s.GetBackup(t.Context(), &medusapb.GetBackupRequest{BackupName: "b1"})
	if err != nil || g.Status != medusapb.StatusType_SUCCESS || g.Backup.TotalNodes != 2 {
		t.Errorf("GetBackup(b1): %v %v", g, err)
	}
	if _, err := s.GetBackup(t.Context(), &medusapb.GetBackupRequest{BackupName: "nope"}); code(err) != codes.NotFound {
		t.Errorf("GetBackup(nope): %v", err)
	}

	f.b.down.Store(true)
	if r, err := s.GetBackups(t.Context(), &medusapb.GetBackupsRequest{}); code(err) != codes.Unavailable || r != nil {
		t.Errorf("storage down: %v %v, want Unavailable and no answer", r, err)
	}
	f.b.down.Store(false)
	f.b.hang.Store(true)
	began := time.Now()
	_, err = s.GetBackups(t.Context(), &medusapb.GetBackupsRequest{})
	if code(err) != codes.Unavailable || time.Since(began) > 3*time.Second {
		t.Errorf("storage hanging: %v after %s, want Unavailable after the 0.5 s storage timeout", err, time.Since(began))
	}
	if _, err := s.PurgeBackups(t.Context(), &medusapb.PurgeBackupsRequest{}); code(err) != codes.Unavailable {
		t.Errorf("purge with storage hanging: %v", err)
	}
}

// TestBackupNodeTokens: dc and rack are copied; a token beyond int64
// (RandomPartitioner) lists the node without tokens instead of failing.
func TestBackupNodeTokens(t *testing.T) {
	dc, rack := "dc1", "r1"
	log := slog.New(slog.DiscardHandler)
	n := backupNode("b", layout.TokenmapHost{Host: "h", DC: &dc, Rack: &rack,
		Tokens: []json.Number{"-9223372036854775808", "9223372036854775807"}}, log)
	if n.Datacenter != "dc1" || n.Rack != "r1" || !slices.Equal(n.Tokens, []int64{-9223372036854775808, 9223372036854775807}) {
		t.Errorf("murmur3 extremes: %v", n)
	}
	n = backupNode("b", layout.TokenmapHost{Host: "h",
		Tokens: []json.Number{"12", "170141183460469231731687303715884105727"}}, log)
	if n.Tokens == nil || len(n.Tokens) != 0 {
		t.Errorf("RandomPartitioner token: %v, want an empty token list", n.Tokens)
	}
}

func TestOverallStatus(t *testing.T) {
	mk := func(ss ...medusapb.StatusType) []*medusapb.BackupSummary {
		var out []*medusapb.BackupSummary
		for _, s := range ss {
			out = append(out, &medusapb.BackupSummary{Status: s})
		}
		return out
	}
	const (
		ip, ok, ko, unk = medusapb.StatusType_IN_PROGRESS, medusapb.StatusType_SUCCESS, medusapb.StatusType_FAILED, medusapb.StatusType_UNKNOWN
	)
	for _, c := range []struct {
		in   []*medusapb.BackupSummary
		want medusapb.StatusType
	}{
		{nil, unk}, {mk(ok, ok), ok}, {mk(ok, ip), ip}, {mk(ip, ko), ko}, {mk(ko, unk, ip), unk},
	} {
		if got := overallStatus(c.in); got != c.want {
			t.Errorf("overallStatus(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

// TestPurgeAndDelete: PurgeBackups applies max_backup_count with counts;
// DeleteBackup deletes, refuses a running backup, and NotFound otherwise.
func TestPurgeAndDelete(t *testing.T) {
	f := newFakeServices(t)
	dir := t.TempDir()
	var mu sync.Mutex
	var sent []string
	s := newTestService(t, f, dir, func(c *Config) {
		c.Retention = purge.Policy{MaxCount: 1}
		c.Metrics = func(ms ...metrics.Metric) {
			mu.Lock()
			defer mu.Unlock()
			for _, m := range ms {
				sent = append(sent, fmt.Sprintf("%s=%d", strings.Join(m.Tags, "."), m.Value))
			}
		}
	})
	t0 := time.Now().Add(-72 * time.Hour)
	for i, n := range []string{"old1", "old2"} {
		f.bucket.Backup(testbed.NodeBackupSpec{FQDN: testFQDN, Name: n, Started: t0.Add(time.Duration(i) * time.Hour),
			Finished: true, Full: true, Files: []string{"ks/t-1/nb-1-big-Data.db"}})
	}
	f.gate("new") <- nil
	if _, err := s.Backup(t.Context(), &medusapb.BackupRequest{Name: "new", Mode: medusapb.BackupRequest_FULL}); err != nil {
		t.Fatal(err)
	}
	r, err := s.PurgeBackups(t.Context(), &medusapb.PurgeBackupsRequest{})
	if err != nil || r.NbBackupsPurged != 2 || r.NbObjectsPurged == 0 || r.TotalPurgedSize == 0 {
		t.Fatalf("PurgeBackups: %v %v", r, err)
	}
	l, err := s.GetBackups(t.Context(), &medusapb.GetBackupsRequest{})
	if err != nil || len(l.Backups) != 1 || l.Backups[0].BackupName != "new" {
		t.Fatalf("after purge: %v %v", l, err)
	}
	if _, err := s.DeleteBackup(t.Context(), &medusapb.DeleteBackupRequest{Name: "nope"}); code(err) != codes.NotFound {
		t.Errorf("DeleteBackup(nope): %v", err)
	}
	if _, err := s.AsyncBackup(t.Context(), &medusapb.BackupRequest{Name: "running"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteBackup(t.Context(), &medusapb.DeleteBackupRequest{Name: "running"}); code(err) != codes.FailedPrecondition {
		t.Errorf("DeleteBackup of a running backup: %v", err)
	}
	f.gate("running") <- nil
	waitStatus(t, s, "running")
	d, err := s.DeleteBackup(t.Context(), &medusapb.DeleteBackupRequest{Name: "new"})
	if err != nil || d.Name != "new" || d.Status != medusapb.StatusType_SUCCESS {
		t.Fatalf("DeleteBackup(new): %v %v", d, err)
	}
	if _, err := s.BackupStatus(t.Context(), &medusapb.BackupStatusRequest{BackupName: "new"}); code(err) != codes.NotFound {
		t.Errorf("status of the deleted backup: %v, want NotFound", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "backup-new.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("record of the deleted backup: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, want := range []string{"medusa-node-backup.backup-error.new=0", "medusa-node-backup.purge-error.PURGE-ERROR=0",
		"medusa-node-backup.delete-error.DELETE-ERROR=0"} {
		if !slices.Contains(sent, want) {
			t.Errorf("metrics sent: %v, want %s among them", sent, want)
		}
	}
}

// TestPrepareRestore writes the mapping as the init container reads it.
func TestPrepareRestore(t *testing.T) {
	f := newFakeServices(t)
	mapDir := filepath.Join(t.TempDir(), "mapping")
	s := newTestService(t, f, t.TempDir(), func(c *Config) { c.RestoreMappingDir = mapDir })
	f.plan = &cluster.Plan{Backup: "b1", Mode: cluster.ModeRemote, Assignments: []cluster.Assignment{
		{Target: "pod-1", Sources: []string{"old-1"}, Seed: true}, {Target: "pod-2", Sources: []string{"old-2"}}}}
	if _, err := s.PrepareRestore(t.Context(), &medusapb.PrepareRestoreRequest{BackupName: "b1", RestoreKey: "k-1", Datacenter: "dc1"}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(mapDir, "k-1"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"in_place":false,"host_map":{"pod-1":{"source":["old-1"],"seed":true},"pod-2":{"source":["old-2"],"seed":false}}}`
	if string(data) != want {
		t.Errorf("mapping:\n%s\nwant\n%s", data, want)
	}
	for _, key := range []string{"", "..", "a/b"} {
		if _, err := s.PrepareRestore(t.Context(), &medusapb.PrepareRestoreRequest{BackupName: "b1", RestoreKey: key}); code(err) != codes.Internal {
			t.Errorf("restore key %q: %v, want Internal", key, err)
		}
	}
	f.planErr = errors.New("backup b9 does not exist")
	if _, err := s.PrepareRestore(t.Context(), &medusapb.PrepareRestoreRequest{BackupName: "b9", RestoreKey: "k"}); code(err) != codes.Internal {
		t.Errorf("unknown backup: %v, want Internal", err)
	}
}
