package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/commitlog"
	"github.com/medusa-go/medusa/internal/layout"
)

// pitrRun is the id of the first archived segment of the fixture: a
// Cassandra run started an hour before b1.
const pitrRun = (fxT0 - 3600) * 1000

// addPITR gives n1.example.com meta/pitr.json in b1 and b2 and archived
// segments run+0..run+7 without run+4: b1 (active from run+1) restores
// from the end of its snapshot to the last write of run+3, b2 (active
// from run+6) from the end of its snapshot to the last write of run+7.
func (f *catFixture) addPITR(t *testing.T) {
	t.Helper()
	l := layout.New(fxPrefix)
	mtimes := map[int64]int64{0: fxT0 - 1000, 1: fxT0 + 3600, 2: fxT0 + 7200, 3: fxT0 + 10800,
		5: fxT0 + fxDay - 1000, 6: fxT0 + fxDay + 3600, 7: fxT0 + fxDay + 7200}
	for i, mtime := range mtimes {
		info := commitlog.SegmentInfo{Name: fmt.Sprintf("CommitLog-7-%d.log", pitrRun+i), Version: 7, ID: pitrRun + i,
			MtimeMs: mtime * 1000, Codec: commitlog.CodecZstd}
		f.put(t, l.KeyPrefix()+commitlog.SegmentKey("n1.example.com", info), []byte("segment"), 0)
		f.put(t, l.KeyPrefix()+commitlog.InfoKey("n1.example.com", info), []byte("{}"), 0)
	}
	for _, b := range []struct {
		name    string
		started int64
		active  int64
	}{{"b1", fxT0, 1}, {"b2", fxT0 + fxDay, 6}} {
		m := commitlog.PitrMeta{SnapshotStartedUs: b.started * 1e6, SnapshotTakenUs: b.started*1e6 + 1_500_000,
			Archiving: true, Precision: "MICROSECONDS",
			ActiveSegments: []string{fmt.Sprintf("CommitLog-7-%d.log", pitrRun+b.active+1),
				fmt.Sprintf("CommitLog-7-%d.log", pitrRun+b.active)}}
		if err := commitlog.WriteMeta(context.Background(), f.b, l, "n1.example.com", b.name, m); err != nil {
			t.Fatal(err)
		}
	}
}

const pitrLine = "Point-in-time restore window of n1.example.com: 2023-11-14T22:13:21.500Z to 2023-11-16T00:13:20.000Z, " +
	"gap between 2023-11-15T01:13:20.000Z and 2023-11-15T22:13:21.500Z\n"

// TestListBackupsPITRWindow: with [cassandra] commitlog_archiving, list-backups and
// status add one line for n1 (the only node with archived segments) and
// its JSON node entries gain pitr_window; without it the outputs are the
// golden ones, byte for byte, archived segments or not.
func TestListBackupsPITRWindow(t *testing.T) {
	golden := func(name string) string {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	off := newCatFixture(t, "")
	off.populate(t)
	off.addPITR(t)
	for args, name := range map[string]string{"list-backups": "list_backups.golden",
		"list-backups --show-all": "list_backups_all.golden", "status --backup-name b2": "status_b2.golden",
		"status --backup-name b2 -o json": "status_b2_json.golden"} {
		if out, errOut, code := off.run(t, nil, strings.Fields(args)...); code != 0 || out != golden(name) {
			t.Errorf("%s without [cassandra] commitlog_archiving: exit %d, output differs from %s:\n%s\n%s", args, code, name, out, errOut)
		}
	}

	on := newCatFixture(t, "[cassandra]\ncommitlog_archiving = True\n")
	on.populate(t)
	on.addPITR(t)
	for _, tt := range []struct{ args, want string }{
		{"list-backups", golden("list_backups.golden") + pitrLine},
		{"list-backups --show-all", golden("list_backups_all.golden") + pitrLine},
		{"status --backup-name b2", golden("status_b2.golden") + "- " + pitrLine},
	} {
		if out, errOut, code := on.run(t, nil, strings.Fields(tt.args)...); code != 0 || out != tt.want {
			t.Errorf("%s: exit %d\n--- got\n%s--- want\n%s--- stderr\n%s", tt.args, code, out, tt.want, errOut)
		}
	}
	want := `"num_objects": 2, "pitr_window": {"earliest": "2023-11-14T22:13:21.500000Z", "gaps": [{"from": ` +
		`"2023-11-15T01:13:20.000000Z", "to": "2023-11-15T22:13:21.500000Z"}], "latest": "2023-11-16T00:13:20.000000Z", ` +
		`"segments": 7}, "release_version"`
	for _, args := range []string{"status --backup-name b2 -o json", "list-backups --show-all --output json"} {
		out, errOut, code := on.run(t, nil, strings.Fields(args)...)
		if code != 0 || !strings.Contains(out, want) || strings.Count(out, "pitr_window") != strings.Count(out, `"fqdn": "n1.example.com"`) {
			t.Errorf("%s: exit %d, want pitr_window on n1's entries only:\n%s\n%s", args, code, out, errOut)
		}
	}
}

// TestPITRWindowNotRestorable: archived segments but no backup with
// pitr.json give one line saying why.
func TestPITRWindowNotRestorable(t *testing.T) {
	f := newCatFixture(t, "[cassandra]\ncommitlog_archiving = True\n")
	f.populate(t)
	info := commitlog.SegmentInfo{Name: fmt.Sprintf("CommitLog-7-%d.log", pitrRun), Version: 7, ID: pitrRun,
		MtimeMs: time.Unix(fxT0, 0).UnixMilli(), Codec: commitlog.CodecRaw}
	l := layout.New(fxPrefix)
	f.put(t, l.KeyPrefix()+commitlog.SegmentKey("n1.example.com", info), []byte("segment"), 0)
	f.put(t, l.KeyPrefix()+commitlog.InfoKey("n1.example.com", info), []byte("{}"), 0)
	out, errOut, code := f.run(t, nil, "list-backups")
	want := "Point-in-time restore window of n1.example.com: none (no backup of the node has meta/pitr.json " +
		"(backups write it with [cassandra] commitlog_archiving = True); 1 archived segments)\n"
	if code != 0 || !strings.HasSuffix(out, want) {
		t.Errorf("exit %d:\n%s\nwant a last line %q\n%s", code, out, want, errOut)
	}
}
