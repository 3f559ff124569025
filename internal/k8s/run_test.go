package k8s

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/restore"
)

// fakeRestorer records what Run asked.
type fakeRestorer struct {
	fqdn     string
	listed   bool
	listErr  error
	err      error
	restores []restore.Options
	closed   bool
}

func (f *fakeRestorer) Listed(context.Context, string) (bool, error) { return f.listed, f.listErr }
func (f *fakeRestorer) Restore(_ context.Context, o restore.Options) error {
	f.restores = append(f.restores, o)
	return f.err
}
func (f *fakeRestorer) Close() { f.closed = true }

func runWith(t *testing.T, e Env, dir string, f *fakeRestorer) (Outcome, error, bool) {
	t.Helper()
	opened := false
	out, err := Run(t.Context(), Options{Env: e, LastRestoreDir: dir,
		Open: func(_ context.Context, fqdn string) (Restorer, error) {
			opened, f.fqdn = true, fqdn
			return f, nil
		}})
	return out, err, opened
}

func lastKey(t *testing.T, dir string) string {
	t.Helper()
	k, err := ReadLastRestore(dir)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestRunRestoresOnce(t *testing.T) {
	dir := t.TempDir()
	e := Env{BackupName: "b1", RestoreKey: "k1", TmpDir: "/data", PodName: "dc1-sts-0"}
	f := &fakeRestorer{listed: true}
	out, err, _ := runWith(t, e, dir, f)
	if err != nil || !out.Restored || !out.Recorded || !f.closed {
		t.Fatalf("Run = %+v, %v", out, err)
	}
	if len(f.restores) != 1 || f.fqdn != "" {
		t.Fatalf("restores %+v as %q", f.restores, f.fqdn)
	}
	o := f.restores[0]
	if o.Backup != "b1" || !o.InPlace || o.KeepAuth || o.ManageCassandra || !o.RequireDown || o.Verify ||
		len(o.Seeds) != 0 || len(o.Keyspaces)+len(o.Tables) != 0 || o.UseSSTableLoader || o.TempDir != "/data" {
		t.Fatalf("options %+v", o)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(o.ID) {
		t.Errorf("ID %q is not a UUID", o.ID)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, LastRestoreFile)); string(b) != "k1\n" {
		t.Fatalf(".last-restore = %q", b)
	}
	// The pod restarts with the same environment: nothing happens.
	f2 := &fakeRestorer{listed: true}
	out, err, opened := runWith(t, e, dir, f2)
	if err != nil || out.Decision.Action != AlreadyDone || opened || out.Recorded {
		t.Fatalf("second Run = %+v, %v (opened %v)", out, err, opened)
	}
}

func TestRunRemote(t *testing.T) {
	dir := t.TempDir()
	e := Env{BackupName: "b1", RestoreKey: "k2", PodName: "dc1-sts-0", TmpDir: "/data",
		Mapping: `{"in_place": false, "host_map": {"dc1-sts-0": {"source": ["old-sts-0"], "seed": false}}}`}
	f := &fakeRestorer{listed: true}
	if _, err, _ := runWith(t, e, dir, f); err != nil {
		t.Fatal(err)
	}
	if f.fqdn != "old-sts-0" || len(f.restores) != 1 {
		t.Fatalf("opened as %q, restores %+v", f.fqdn, f.restores)
	}
	if o := f.restores[0]; o.InPlace || !o.KeepAuth || o.FQDN != "old-sts-0" {
		t.Fatalf("options %+v", o)
	}
	if lastKey(t, dir) != "k2" {
		t.Fatal("key not recorded")
	}
}

func TestRunSkips(t *testing.T) {
	notMapped := Env{BackupName: "b1", RestoreKey: "k3", PodName: "dc1-sts-9",
		Mapping: `{"in_place": false, "host_map": {"dc1-sts-0": {"source": ["old-sts-0"]}}}`}
	tests := []struct {
		name     string
		env      Env
		f        *fakeRestorer
		recorded bool
	}{
		{"not requested", Env{RestoreKey: "k3"}, &fakeRestorer{}, false},
		{"pod not mapped", notMapped, &fakeRestorer{}, true},
		{"backup not listed", Env{BackupName: "gone", RestoreKey: "k3"}, &fakeRestorer{listed: false}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			out, err, _ := runWith(t, tt.env, dir, tt.f)
			if err != nil || out.Restored || len(tt.f.restores) != 0 || out.Recorded != tt.recorded {
				t.Fatalf("Run = %+v, %v, restores %d", out, err, len(tt.f.restores))
			}
			if want := map[bool]string{true: "k3", false: ""}[tt.recorded]; lastKey(t, dir) != want {
				t.Fatalf(".last-restore = %q, want %q", lastKey(t, dir), want)
			}
		})
	}
}

func TestRunFailures(t *testing.T) {
	e := Env{BackupName: "b1", RestoreKey: "k4"}
	stageErr := &restore.StageError{Stage: restore.StageDownload, Err: layout.ErrBackupNotFound}
	tests := []struct {
		name string
		env  Env
		f    *fakeRestorer
	}{
		{"restore fails", e, &fakeRestorer{listed: true, err: stageErr}},
		{"listing fails", e, &fakeRestorer{listErr: errors.New("403 Forbidden")}},
		{"bad mapping", Env{BackupName: "b1", RestoreKey: "k4", Mapping: "{"}, &fakeRestorer{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := WriteLastRestore(dir, "k0"); err != nil {
				t.Fatal(err)
			}
			if _, err, _ := runWith(t, tt.env, dir, tt.f); err == nil {
				t.Fatal("Run succeeded")
			}
			if lastKey(t, dir) != "k0" {
				t.Fatal("the key was recorded after a failure")
			}
		})
	}
	// An unreadable .last-restore is an error, not "no restore yet".
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, LastRestoreFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err, opened := runWith(t, e, dir, &fakeRestorer{listed: true}); err == nil || opened {
		t.Fatalf("Run with an unreadable .last-restore: %v (opened %v)", err, opened)
	}
}

func TestWriteLastRestore(t *testing.T) {
	dir := t.TempDir()
	for _, k := range []string{"k1", "k2"} {
		if err := WriteLastRestore(dir, k); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || lastKey(t, dir) != "k2" {
		t.Fatalf("entries %v, key %q", entries, lastKey(t, dir))
	}
	if fi, _ := os.Stat(filepath.Join(dir, LastRestoreFile)); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", fi.Mode())
	}
	if err := WriteLastRestore(filepath.Join(dir, "missing"), "k"); err == nil {
		t.Fatal("no error for a missing directory")
	}
}
