package pitr

import (
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/commitlog"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/testbed"
)

// TestArchBackupRecordsPITR: with commitlog_archiving a backup first syncs
// the spool, then records meta/pitr.json (the snapshot's time bounds, the
// segments in the commit log directory just before it, host id, version,
// segment size, precision, archiving on). The backup name "commitlogs" is
// refused. Python Medusa lists and verifies the bucket that now holds
// archived segments beside the backups.
func TestArchBackupRecordsPITR(t *testing.T) {
	b := PitrBed(t)
	s := b.Session(t, "")
	archKeyspace(t, s, "arch_backup")
	archWrite(t, s, "arch_backup", 0, 2500)
	spooled := waitSpooled(t, b, 1)

	res := b.MustRun(t, "backup", "--backup-name", "arch_b1", "--mode", "full")
	if !strings.Contains(res.Out(), "Commit log segments archived") {
		t.Errorf("backup output does not report the commit log sync:\n%s", res.Out())
	}
	st := b.Storage(t)
	segs, err := commitlog.List(t.Context(), st, b.FQDN)
	if err != nil {
		t.Fatal(err)
	}
	archived := map[string]bool{}
	for _, g := range segs {
		archived[g.Name] = true
	}
	for _, n := range spooled {
		if !archived[n] {
			t.Errorf("%s was spooled before the backup and is not archived after it", n)
		}
	}
	m, err := commitlog.ReadMeta(t.Context(), st, layout.New(""), b.FQDN, "arch_b1")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("meta/pitr.json: %+v", m)
	if m.SnapshotStartedUs <= 0 || m.SnapshotTakenUs < m.SnapshotStartedUs || len(m.ActiveSegments) == 0 ||
		!m.Archiving || m.HostID == "" || m.ReleaseVersion != "5.0.9" || m.CommitlogSegmentSize != SegmentSize ||
		m.Precision != "MICROSECONDS" {
		t.Errorf("meta/pitr.json = %+v", m)
	}
	// The newest segment present at the snapshot was still being written:
	// not archived then.
	if _, ok := m.MinActiveID(); !ok {
		t.Errorf("no segment name among the active ones: %v", m.ActiveSegments)
	} else if newest := m.ActiveSegments[len(m.ActiveSegments)-1]; archived[newest] {
		t.Errorf("the newest active segment %s was already archived before the backup", newest)
	}

	// The backup recorded the host id in the spool: later syncs put it in
	// the sidecars.
	if got := commitlog.ReadHostID(b.SpoolDir); got != m.HostID {
		t.Errorf("host id in the spool = %q, want %q", got, m.HostID)
	}
	archWrite(t, s, "arch_backup", 2500, 2500)
	waitSpooled(t, b, 1)
	b.MustRun(t, "commitlog", "sync", "--once")
	after, err := commitlog.List(t.Context(), st, b.FQDN)
	if err != nil {
		t.Fatal(err)
	}
	var fresh int
	for _, g := range after {
		if archived[g.Name] {
			continue
		}
		fresh++
		if g.HostID != m.HostID {
			t.Errorf("sidecar of %s synced after the backup: host_id %q, want %q", g.Name, g.HostID, m.HostID)
		}
	}
	if fresh == 0 {
		t.Error("no segment archived after the backup")
	}

	res = b.Run(t, "backup", "--backup-name", "commitlogs")
	if res.Code == 0 || !strings.Contains(res.Out(), "reserved") {
		t.Errorf("backup named commitlogs: exit %d, want a refusal naming the reserved name:\n%s", res.Code, res.Out())
	}

	// Python Medusa reads the same medusa.ini (commit log settings in [cassandra]).
	py := testbed.PyMedusa{Exe: testbed.PyMedusaT(t), Config: b.INI, Dir: t.TempDir()}
	out, errOut, err := py.Run(t.Context(), "list-backups")
	if err != nil || !strings.Contains(out, "arch_b1 (started") || strings.Contains(out, "commitlogs") {
		t.Errorf("Python list-backups: %v\n%s\n%s", err, out, errOut)
	}
	if out, errOut, err := py.Run(t.Context(), "verify", "--backup-name", "arch_b1"); err != nil {
		t.Errorf("Python verify arch_b1: %v\n%s\n%s", err, out, errOut)
	}
}
