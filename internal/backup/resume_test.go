package backup

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// interrupt runs backup name and cancels it when the (n+1)th data upload
// starts, with one file in flight: n files are stored. It returns the
// data keys that were stored.
func (e *env) interrupt(name string, mode Mode, n int) []string {
	e.t.Helper()
	ctx, cancel := context.WithCancel(e.t.Context())
	defer cancel()
	var mu sync.Mutex
	started := 0
	e.st.block = func(pctx context.Context) {
		mu.Lock()
		started++
		stop := started > n
		mu.Unlock()
		if stop {
			cancel()
			<-pctx.Done()
		}
	}
	defer func() { e.st.block = nil }()
	e.st.resetPuts()
	o := e.opts(name, mode)
	o.Concurrency = 1
	_, err := Run(ctx, e.deps(), o)
	if !errors.Is(err, context.Canceled) {
		e.t.Fatalf("interrupted backup %s: %v, want a cancellation", name, err)
	}
	var stored []string
	for _, k := range e.st.dataPuts() {
		if _, ok := e.st.read(e.t, k); ok {
			stored = append(stored, k)
		}
	}
	if len(stored) != n {
		e.t.Fatalf("interrupted backup stored %v, want %d files", stored, n)
	}
	return stored
}

func TestResumeUploadsOnlyTheRest(t *testing.T) {
	for _, mode := range []Mode{Differential, Full} {
		t.Run(string(mode), func(t *testing.T) {
			e := newEnv(t, "")
			stored := e.interrupt("b1", mode, 2)
			// The earlier run started an hour ago (its schema and its
			// started_ entry say so): its index entry must go. Its real
			// entry is replaced, or a resumed run in another second
			// would find two.
			hourAgo := time.Unix(time.Now().Add(-time.Hour).Unix(), 0)
			e.ageObject(e.l.SchemaKey(fqdn, "b1"), hourAgo)
			if err := e.st.DeleteMany(t.Context(), e.st.keys(t, e.l.BackupIndexListPrefix()+"/b1/started_")); err != nil {
				t.Fatal(err)
			}
			oldStart := hourAgo.Unix()
			if err := writeIndexStarted(e, "b1", oldStart); err != nil {
				t.Fatal(err)
			}

			e.st.resetPuts()
			res := e.mustRun("b1", mode)
			got := e.st.dataPuts()
			if len(got) != 2 || slices.ContainsFunc(got, func(k string) bool { return slices.Contains(stored, k) }) {
				t.Fatalf("resumed run uploaded %v; the first run had stored %v", got, stored)
			}
			if res.FilesNew != 2 || res.FilesKept != 2 {
				t.Errorf("resumed run: new %d kept %d, want 2 2", res.FilesNew, res.FilesKept)
			}
			m, _ := e.manifest("b1")
			if _, n := m.Stats(); n != 4 {
				t.Errorf("manifest has %d objects, want 4", n)
			}
			started := e.st.keys(t, e.l.BackupIndexListPrefix()+"/b1/started_")
			if len(started) != 1 {
				t.Errorf("index start entries %v, want one", started)
			}
		})
	}
}

func writeIndexStarted(e *env, name string, epoch int64) error {
	_, err := e.st.Backend.Put(e.t.Context(), e.l.IndexStartedKey(name, fqdn, epoch), strings.NewReader("x"))
	return err
}

func TestResumeRefusals(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(e *env)
		mode    Mode
		want    string
	}{
		{"complete backup", func(e *env) { e.mustRun("b1", Differential) }, Differential,
			"already exists and is complete"},
		{"started in the other mode", func(e *env) { e.interrupt("b1", Full, 1) }, Differential,
			"resume it with --mode full"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, "")
			tc.prepare(e)
			e.st.resetPuts()
			_, err := e.run("b1", tc.mode)
			if !errors.Is(err, ErrAlreadyExists) || !strings.Contains(err.Error(), tc.want) ||
				!strings.Contains(err.Error(), "delete-backup --backup-name b1") {
				t.Fatalf("Run = %v, want %q with what to do", err, tc.want)
			}
			if got := e.st.dataPuts(); len(got) != 0 {
				t.Errorf("refused backup uploaded %v", got)
			}
		})
	}
}

// logTo returns deps logging into buf.
func (e *env) logTo(buf *bytes.Buffer) Deps {
	d := e.deps()
	d.Logger = slog.New(slog.NewTextHandler(buf, nil))
	return d
}

// deadPID returns the id of a process that has exited.
func deadPID(t *testing.T) int {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func TestLeftoverSnapshots(t *testing.T) {
	self := ownerRecord{PID: os.Getpid(), Start: processStart(os.Getpid())}
	tests := []struct {
		name        string
		owner       func(t *testing.T) ownerRecord
		tag         string
		wantCleared bool
		wantLog     string
	}{
		{"killed run's snapshot is cleared", func(t *testing.T) ownerRecord {
			return ownerRecord{PID: deadPID(t), Start: "1", Snapshots: []string{"medusa-old"}}
		}, "medusa-old", true, "Cleared snapshot medusa-old left by an interrupted backup"},
		{"a running owner's snapshot is left alone", func(*testing.T) ownerRecord {
			o := self
			o.Snapshots = []string{"medusa-old"}
			return o
		}, "medusa-old", false, "still runs"},
		{"a marker without record (Medusa's) clears nothing", func(*testing.T) ownerRecord {
			return ownerRecord{}
		}, "medusa-old", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, "")
			if err := e.cass.Create(t.Context(), tc.tag); err != nil {
				t.Fatal(err)
			}
			rec := tc.owner(t)
			if err := os.WriteFile(filepath.Join(e.lockDir, MarkerName), rec.marshal(), 0o644); err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			if _, err := Run(t.Context(), e.logTo(&logs), e.opts("b1", Differential)); err != nil {
				t.Fatal(err)
			}
			if got := slices.Contains(e.cass.cleared, tc.tag); got != tc.wantCleared {
				t.Errorf("%s cleared: %v, want %v; log:\n%s", tc.tag, got, tc.wantCleared, logs.String())
			}
			if tc.wantLog != "" && !strings.Contains(logs.String(), tc.wantLog) {
				t.Errorf("log lacks %q:\n%s", tc.wantLog, logs.String())
			}
			if _, err := os.Stat(filepath.Join(e.lockDir, MarkerName)); !os.IsNotExist(err) {
				t.Errorf("marker left after the backup: %v", err)
			}
		})
	}
}

// TestKilledRunsOwnSnapshotIsBackedUp: the killed run of the same name left
// medusa-b1: the resumed run backs it up and clears it.
func TestKilledRunsOwnSnapshotIsBackedUp(t *testing.T) {
	e := newEnv(t, "")
	if err := e.cass.Create(t.Context(), "medusa-b1"); err != nil {
		t.Fatal(err)
	}
	rec := ownerRecord{PID: deadPID(t), Start: "1", Snapshots: []string{"medusa-b1"}}
	if err := os.WriteFile(filepath.Join(e.lockDir, MarkerName), rec.marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	if _, err := Run(t.Context(), e.logTo(&logs), e.opts("b1", Differential)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "Snapshot already exists, backing it up") {
		t.Errorf("the killed run's snapshot was not backed up:\n%s", logs.String())
	}
	if len(e.cass.taken) != 1 || !slices.Contains(e.cass.cleared, "medusa-b1") {
		t.Errorf("snapshots taken %v cleared %v, want medusa-b1 taken once (by the test) and cleared",
			e.cass.taken, e.cass.cleared)
	}
}

func TestOwnerRecordRoundTrip(t *testing.T) {
	rec := ownerRecord{PID: 42, Start: "123", Snapshots: []string{"medusa-a", "medusa-b"}}
	got := parseOwner(rec.marshal())
	if got.PID != 42 || got.Start != "123" || !slices.Equal(got.Snapshots, rec.Snapshots) {
		t.Errorf("parseOwner = %+v", got)
	}
	bad := parseOwner([]byte("snapshot ../../etc\nsnapshot other\nsnapshot medusa-x/y\n"))
	if len(bad.Snapshots) != 0 {
		t.Errorf("unsafe or foreign tags accepted: %v", bad.Snapshots)
	}
	if (ownerRecord{PID: os.Getpid(), Start: processStart(os.Getpid())}).alive() != true {
		t.Error("this process does not count as alive")
	}
}
