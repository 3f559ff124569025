package restore

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/commitlog"
)

// pitrT0 is the first segment id of the fixture's archive (its Cassandra
// run started then); segment i was last written at pitrT0 + (i+1) s.
const pitrT0 = int64(1_750_000_000_000)

const pitrProps = "# archiving\narchive_command=/usr/bin/medusa commitlog archive %path %name\nrestore_command=\n" +
	"restore_directories=\nrestore_point_in_time=\nprecision=MICROSECONDS\n"

// pitrFixture is the restore fixture with commit log archiving: b1
// indexed with a pitr.json (snapshot at pitrT0 + 0.5 s, segment 0
// active), n archived segments, a spool, hints and a properties file.
type pitrFixture struct {
	*fixture
	props, spool, hints, restoreDir, sysLog string
	segs                                    []commitlog.SegmentInfo
	raw                                     map[string][]byte
}

func newPITRFixture(t *testing.T, n int) *pitrFixture {
	f := &pitrFixture{fixture: newFixture(t), raw: map[string][]byte{}}
	f.backup(tables{"ks/t-1": {"ks-t-big-Data.db": "backed up"}})
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	rc, _, err := f.store.Get(ctx, f.l.ManifestKey(fxFQDN, fxBackup), 0, -1)
	must(err)
	var manifest bytes.Buffer
	_, _ = manifest.ReadFrom(rc)
	rc.Close()
	must(catalog.WriteStarted(ctx, f.store, "", fxBackup, fxFQDN, []byte(`{}`), []byte("CREATE KEYSPACE ks;"), false,
		pitrT0/1000))
	must(catalog.WriteFinished(ctx, f.store, "", fxBackup, fxFQDN, manifest.Bytes(), pitrT0/1000+1))
	must(commitlog.WriteMeta(ctx, f.store, f.l, fxFQDN, fxBackup, commitlog.PitrMeta{SnapshotStartedUs: pitrT0*1000 + 500_000,
		SnapshotTakenUs: pitrT0*1000 + 900_000, ActiveSegments: []string{"CommitLog-7-1750000000000.log"},
		ReleaseVersion: "5.0.9", Precision: "MICROSECONDS", Archiving: true}))
	for i := range int64(n) {
		f.archive(pitrT0+i, pitrT0+(i+1)*1000)
	}
	node := filepath.Dir(f.paths.DataDir)
	f.props = filepath.Join(node, commitlog.PropertiesFile)
	writeFile(t, f.props, pitrProps)
	f.spool = filepath.Join(f.paths.CommitlogDir, commitlog.DefaultSpoolName)
	writeFile(t, filepath.Join(f.spool, "CommitLog-7-99.log"), "spooled, not uploaded yet")
	f.hints = filepath.Join(node, "hints")
	writeFile(t, filepath.Join(f.hints, "abc-1-1.hints"), "hint from after the target")
	f.paths.HintsDir = f.hints
	f.restoreDir = filepath.Join(f.paths.CommitlogDir, commitlog.DefaultRestoreName)
	f.sysLog = filepath.Join(filepath.Dir(node), "logs", "system.log")
	writeFile(t, f.sysLog, "INFO earlier start: Log replay complete, 7 replayed mutations in 1 ms\n")
	return f
}

// archive stores segment id as the sync does: zstd object, then sidecar.
func (f *pitrFixture) archive(id, mtimeMs int64) {
	t := f.t
	hdr, err := commitlog.EncodeHeader(commitlog.Header{Version: 7, ID: id})
	if err != nil {
		t.Fatal(err)
	}
	raw := append(hdr, bytes.Repeat([]byte{byte(id)}, 4096)...)
	var z bytes.Buffer
	w, _ := zstd.NewWriter(&z)
	_, _ = w.Write(raw)
	_ = w.Close()
	sum := sha256.Sum256(raw)
	name := commitlog.SegmentName{Version: 7, ID: id}.String()
	info := commitlog.SegmentInfo{Name: name, Version: 7, ID: id, MtimeMs: mtimeMs, FirstWriteMs: mtimeMs - 1000,
		Codec: commitlog.CodecZstd, RawSize: int64(len(raw)), StoredSize: int64(z.Len()),
		SHA256: hex.EncodeToString(sum[:]), JVMRun: "run1", ArchivedAt: time.Now().UTC()}
	ctx := t.Context()
	if _, err := f.store.Put(ctx, commitlog.SegmentKey(fxFQDN, info), bytes.NewReader(z.Bytes())); err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(info)
	if _, err := f.store.Put(ctx, commitlog.InfoKey(fxFQDN, info), bytes.NewReader(js)); err != nil {
		t.Fatal(err)
	}
	f.segs = append(f.segs, info)
	f.raw[name] = raw
}

func (f *pitrFixture) pitrOptions(target time.Time) Options {
	o := f.options()
	o.Backup = ""
	o.Node = f.paths
	o.PITR = &PITR{Target: target, Paths: commitlog.Paths{CommitlogDir: f.paths.CommitlogDir, SpoolDir: f.spool,
		PropertiesFile: f.props, RestoreDir: f.restoreDir}}
	return o
}

func readString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPITRRestore(t *testing.T) {
	f := newPITRFixture(t, 8)
	target := time.UnixMicro(pitrT0*1000 + 2_345_678).UTC()
	var atStart struct {
		props    string
		restored map[string]string
	}
	f.node.onStart = func() {
		atStart.props = readString(t, f.props)
		atStart.restored = tree(t, f.restoreDir)
		fh, err := os.OpenFile(f.sysLog, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fh.WriteString("INFO [main] CommitLog.java:200 - Log replay complete, 42 replayed mutations in 9 ms\n")
		fh.Close()
	}
	var out bytes.Buffer
	res, err := runText(t.Context(), f.deps(), f.pitrOptions(target), &out)
	if err != nil {
		t.Fatal(err)
	}
	if res.PITR == nil || res.PITR.Base != fxBackup || res.PITR.Replayed != 42 {
		t.Fatalf("result %+v, want base b1 and 42 replayed mutations", res.PITR)
	}
	// Segments 0..7 were last written at 1..8 s; target 2.3 s + 60 s skew:
	// every one is needed.
	if res.PITR.Segments != 8 || res.PITR.PointInTime != "2025:06:15 15:06:42.345678" {
		t.Errorf("segments %d, point in time %q", res.PITR.Segments, res.PITR.PointInTime)
	}
	if !strings.Contains(out.String(), "42 mutations replayed") || !strings.Contains(out.String(), "base backup b1") {
		t.Errorf("output %q", out.String())
	}
	for _, want := range []string{"restore_command=/bin/ln %from %to", "restore_directories=" + f.restoreDir,
		"restore_point_in_time=2025:06:15 15:06:42.345678", "precision=MICROSECONDS",
		"archive_command=/usr/bin/medusa commitlog archive %path %name", "# archiving"} {
		if !strings.Contains(atStart.props, want+"\n") {
			t.Errorf("properties at start lack %q:\n%s", want, atStart.props)
		}
	}
	if len(atStart.restored) != 9 { // the directory and 8 segments
		t.Errorf("restore directory at start: %v", slices.Sorted(mapKeys(atStart.restored)))
	}
	for name, raw := range f.raw {
		if atStart.restored[name] != string(raw) {
			t.Errorf("%s in the restore directory differs from the archived segment", name)
		}
	}
	if got := readString(t, f.props); got != pitrProps {
		t.Errorf("properties not reset:\n%s", got)
	}
	for _, p := range []string{f.props + bakSuffix, f.restoreDir} {
		if exists(p) {
			t.Errorf("%s left behind", p)
		}
	}
	if readString(t, filepath.Join(f.spool, "CommitLog-7-99.log")) != "spooled, not uploaded yet" {
		t.Error("the spool was not kept in place")
	}
	if names, _ := children(f.hints, ""); len(names) != 0 {
		t.Errorf("hints not emptied: %v", names)
	}
	// The node's old segment was neither archived nor spooled: kept aside.
	roots := asideRootsIn(f.paths.CommitlogDir)
	if len(roots) != 1 || readString(t, filepath.Join(roots[0], "CommitLog-7-100.log")) != "old segment" {
		t.Errorf("unarchived segment not kept aside: roots %v", roots)
	}
	if got := f.node.Calls(); !slices.Equal(got, []string{"drain", "stop", "start"}) {
		t.Errorf("node calls %v", got)
	}
	// The timeline marker, at the time Cassandra stopped.
	ms, err := commitlog.ListMarkers(t.Context(), f.store, fxFQDN)
	if err != nil || len(ms) != 1 || ms[0].RestoredAtMs < res.Stopped.UnixMilli() ||
		ms[0].RestoredAtMs > res.Up.UnixMilli() || ms[0].BaseBackup != fxBackup ||
		!ms[0].Target.Equal(target) || ms[0].Segments != 8 || ms[0].LastSegment != "CommitLog-7-1750000000007.log" {
		t.Errorf("markers %+v, %v", ms, err)
	}
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// A refused point-in-time restore changes nothing: Cassandra is not
// stopped, no file of the node changes.
func TestPITRRefusedBeforeStop(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(f *pitrFixture)
		stage  Stage
		errHas string
	}{
		{name: "missing segment", stage: StagePlan, errHas: "segment ids 1750000000003 to 1750000000004",
			break_: func(f *pitrFixture) {
				for _, s := range f.segs[3:5] {
					_ = f.store.Delete(f.t.Context(), commitlog.SegmentKey(fxFQDN, s))
				}
			}},
		{name: "corrupt segment", stage: StageSegments, errHas: "SHA-256",
			break_: func(f *pitrFixture) {
				s := f.segs[2]
				var z bytes.Buffer
				w, _ := zstd.NewWriter(&z)
				_, _ = w.Write(bytes.Repeat([]byte{9}, int(s.RawSize)))
				_ = w.Close()
				if _, err := f.store.Put(f.t.Context(), commitlog.SegmentKey(fxFQDN, s), bytes.NewReader(z.Bytes())); err != nil {
					f.t.Fatal(err)
				}
			}},
		{name: "unfinished earlier restore", stage: StagePrepare, errHas: "did not finish",
			break_: func(f *pitrFixture) { writeFile(f.t, f.props+bakSuffix, pitrProps) }},
		{name: "restore settings left", stage: StagePrepare, errHas: "restore_directories=/elsewhere",
			break_: func(f *pitrFixture) {
				writeFile(f.t, f.props, strings.Replace(pitrProps, "restore_directories=", "restore_directories=/elsewhere", 1))
			}},
		{name: "after the newest write", stage: StagePlan, errHas: "latest restorable time",
			break_: func(f *pitrFixture) {}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newPITRFixture(t, 6)
			tc.break_(f)
			target := time.UnixMilli(pitrT0 + 2_500)
			if tc.name == "after the newest write" {
				target = time.UnixMilli(pitrT0 + 60_000)
			}
			before := f.nodeTree()
			_, err := f.run(f.pitrOptions(target))
			var se *StageError
			if !errors.As(err, &se) || se.Stage != tc.stage || se.NodeTouched {
				t.Fatalf("error %v, want a refusal at stage %s with the node untouched", err, tc.stage)
			}
			if !strings.Contains(err.Error(), tc.errHas) {
				t.Errorf("error %q lacks %q", err, tc.errHas)
			}
			if calls := f.node.Calls(); len(calls) > 0 {
				t.Errorf("node calls %v, want none", calls)
			}
			if d := diffTrees(before, f.nodeTree()); len(d) > 0 {
				t.Errorf("node changed: %v", d)
			}
		})
	}
}

// A start that fails rolls back, and the properties file is reset before
// Cassandra is started again on the node's previous files.
func TestPITRStartFailsResetsProperties(t *testing.T) {
	f := newPITRFixture(t, 4)
	f.node.startFails = 1
	var propsAtRestart string
	f.node.onStart = func() { propsAtRestart = readString(t, f.props) }
	_, err := f.run(f.pitrOptions(time.UnixMilli(pitrT0 + 2_000)))
	var se *StageError
	if !errors.As(err, &se) || se.Stage != StageStart || !se.RolledBack {
		t.Fatalf("error %v, want a rolled-back failure at the start", err)
	}
	if propsAtRestart != pitrProps {
		t.Errorf("Cassandra restarted with the restore settings:\n%s", propsAtRestart)
	}
	if got := readString(t, f.props); got != pitrProps {
		t.Errorf("properties not reset:\n%s", got)
	}
	for _, p := range []string{f.props + bakSuffix, f.restoreDir} {
		if exists(p) {
			t.Errorf("%s left behind", p)
		}
	}
	if readString(t, filepath.Join(f.paths.CommitlogDir, "CommitLog-7-100.log")) != "old segment" {
		t.Error("the node's commit log was not put back")
	}
	if names, _ := children(f.hints, ""); len(names) != 1 {
		t.Errorf("hints not put back: %v", names)
	}
}

func TestPITROptionsRefused(t *testing.T) {
	f := newPITRFixture(t, 2)
	for name, mod := range map[string]func(o *Options){
		"kubernetes": func(o *Options) { o.ManageCassandra = false },
		"filters":    func(o *Options) { o.Keyspaces = []string{"ks"} },
		"loader":     func(o *Options) { o.UseSSTableLoader = true },
		"no time":    func(o *Options) { o.PITR.Target = time.Time{} },
	} {
		o := f.pitrOptions(time.UnixMilli(pitrT0 + 1500))
		mod(&o)
		if _, err := f.run(o); err == nil || len(f.node.Calls()) > 0 {
			t.Errorf("%s: error %v, calls %v", name, err, f.node.Calls())
		}
	}
}

func TestSubSecondPIT(t *testing.T) {
	for v, want := range map[string]bool{"5.0.9": true, "5.0.0": false, "5.0.1": true, "4.1.6": false, "4.1.7": true,
		"4.0.13": false, "4.0.14": true, "3.11.17": false, "5.1": true, "": true, "6.0-alpha": true} {
		if got := subSecondPIT(v); got != want {
			t.Errorf("subSecondPIT(%q) = %v, want %v", v, got, want)
		}
	}
	r := &run{d: &Deps{}}
	r.d.setDefaults()
	p := commitlog.RestorePlan{Target: time.UnixMicro(1_750_000_002_345_678), BaseMeta: commitlog.PitrMeta{ReleaseVersion: "4.1.3"}}
	if got := r.pointInTime(p); got != "2025:06:15 15:06:42" {
		t.Errorf("old release: %q, want the second below", got)
	}
	p.BaseMeta.ReleaseVersion = "5.0.9"
	if got := r.pointInTime(p); got != "2025:06:15 15:06:42.345678" {
		t.Errorf("5.0.9: %q", got)
	}
}

// TestInterruptedPITR kills a point-in-time restore after every possible
// number of changes, then recovers: the properties file must have its
// previous content, with no .medusa-bak nor restore directory left, and
// Cassandra must run.
func TestInterruptedPITR(t *testing.T) {
	ref := newPITRFixture(t, 3)
	d, count := crashingDeps(ref.fixture, -1)
	if _, err := Run(t.Context(), d, ref.pitrOptions(time.UnixMilli(pitrT0+1500))); err != nil {
		t.Fatal(err)
	}
	total := count()
	for k := 0; k < total; k++ {
		t.Run(fmt.Sprint("crash after ", k), func(t *testing.T) {
			f := newPITRFixture(t, 3)
			d, _ := crashingDeps(f.fixture, k)
			if !crashes(t, func() { _, _ = Run(t.Context(), d, f.pitrOptions(time.UnixMilli(pitrT0+1500))) }) {
				return
			}
			if _, err := f.recover(f.deps()); err != nil {
				t.Fatal(err)
			}
			if got := readString(t, f.props); got != pitrProps {
				t.Errorf("properties after recovery:\n%s", got)
			}
			for _, p := range []string{f.props + bakSuffix, f.restoreDir} {
				if exists(p) {
					t.Errorf("%s left behind", p)
				}
			}
			if !f.node.Up(t.Context()) {
				t.Error("Cassandra does not run after the recovery")
			}
		})
	}
}

func TestPITRDryRun(t *testing.T) {
	f := newPITRFixture(t, 5)
	o := f.pitrOptions(time.UnixMilli(pitrT0 + 2_500))
	o.DryRun = true
	before := f.nodeTree()
	var out bytes.Buffer
	if _, err := runText(t.Context(), f.deps(), o, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"backup b1", "Point in time: 2025-06-15T15:06:42.500000Z; commit log segments: 5",
		"CommitLog-7-1750000000000.log to CommitLog-7-1750000000004.log", "restore_point_in_time: 2025:06:15 15:06:42.500000",
		"hints entries of " + f.hints} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out.String())
		}
	}
	if d := diffTrees(before, f.nodeTree()); len(d) > 0 || len(f.node.Calls()) > 0 {
		t.Errorf("dry run changed %v, node calls %v", d, f.node.Calls())
	}
}

func TestPITRClockBehind(t *testing.T) {
	f := newPITRFixture(t, 3)
	d := f.deps()
	d.Now = func() time.Time { return time.UnixMilli(pitrT0 + 1) }
	_, err := Run(t.Context(), d, f.pitrOptions(time.UnixMilli(pitrT0+1_500)))
	if err == nil || !strings.Contains(err.Error(), "ahead of this machine's clock") || len(f.node.Calls()) > 0 {
		t.Errorf("error %v, node calls %v", err, f.node.Calls())
	}
}
