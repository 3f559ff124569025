package k8s

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParsePITR(t *testing.T) {
	p, err := ParsePITR("Latest")
	if err != nil || !p.Latest {
		t.Fatalf("latest: %+v, %v", p, err)
	}
	p, err = ParsePITR("2026-05-01T14:00:00.000250+02:00")
	if err != nil || p.Latest || !p.Time.Equal(time.Date(2026, 5, 1, 12, 0, 0, 250_000, time.UTC)) ||
		p.Time.Location() != time.UTC {
		t.Fatalf("time: %+v, %v", p, err)
	}
	for _, bad := range []string{"yesterday", "2026-05-01 12:00:00", "2026-05-01"} {
		if _, err := ParsePITR(bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("ParsePITR(%q) = %v", bad, err)
		}
	}
}

func TestDecidePITR(t *testing.T) {
	base := Env{BackupName: "b1", RestoreKey: "k2", PodName: "dc1-sts-0", PITR: "2026-05-01T12:00:00Z"}
	d, err := Decide(base, "k1")
	if err != nil || d.Action != Restore || !d.InPlace || d.PITR == nil || d.PITR.Latest ||
		!strings.Contains(d.Reason, "2026-05-01T12:00:00Z") {
		t.Fatalf("in place: %+v, %v", d, err)
	}
	inPlace := base
	inPlace.Mapping = `{"in_place":true,"host_map":{}}`
	if d, err := Decide(inPlace, ""); err != nil || d.PITR == nil {
		t.Fatalf("in-place mapping: %+v, %v", d, err)
	}
	// Already done: the variable is not even read.
	done := base
	done.PITR = "garbage"
	if d, err := Decide(done, "k2"); err != nil || d.Action != AlreadyDone {
		t.Fatalf("already done: %+v, %v", d, err)
	}
	for name, e := range map[string]Env{
		"bad value": done,
		"remote": func() Env {
			e := base
			e.Mapping = `{"in_place":false,"host_map":{"dc1-sts-0":{"source":["old-0"]}}}`
			return e
		}(),
	} {
		_, err := Decide(e, "k1")
		var ee *EnvError
		if !errors.As(err, &ee) || ee.Var != EnvPITR {
			t.Errorf("%s: err = %v, want an EnvError for %s", name, err, EnvPITR)
		}
	}
	// The options: BACKUP_NAME is the base, deferred replay, no
	// single-node refusal (the whole datacenter is restored).
	o := RestoreOptions(d, base, "id")
	if o.PITR == nil || !o.PITR.Deferred || !o.PITR.SingleNode || o.Backup != "b1" ||
		!o.PITR.Target.Equal(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("options %+v, PITR %+v", o, o.PITR)
	}
	if o := RestoreOptions(Decision{Action: Restore, InPlace: true}, Env{BackupName: "b"}, "id"); o.PITR != nil {
		t.Fatalf("a plain restore got %+v", o.PITR)
	}
}

// Settle runs at every start that gets that far (not when the backups
// cannot be listed) and is told to abandon a pending replay only when
// this run restores again, once the backup is known to exist.
func TestRunSettles(t *testing.T) {
	dir := t.TempDir()
	var calls []bool
	settle := func(_ context.Context, abandon bool) error { calls = append(calls, abandon); return nil }
	run := func(e Env, f *fakeRestorer) error {
		_, err := Run(t.Context(), Options{Env: e, LastRestoreDir: dir, Settle: settle,
			Open: func(context.Context, string) (Restorer, error) { return f, nil }})
		return err
	}
	e := Env{BackupName: "b1", RestoreKey: "k1", PITR: "latest"}
	if err := run(Env{}, &fakeRestorer{}); err != nil || len(calls) != 1 || calls[0] {
		t.Fatalf("no restore requested: %v, settle calls %v", err, calls)
	}
	f := &fakeRestorer{listed: true}
	if err := run(e, f); err != nil || len(calls) != 2 || !calls[1] || len(f.restores) != 1 || !f.restores[0].PITR.Latest {
		t.Fatalf("restore: %v, settle calls %v, restores %+v", err, calls, f.restores)
	}
	if err := run(e, &fakeRestorer{}); err != nil || len(calls) != 3 || calls[2] {
		t.Fatalf("already done: %v, settle calls %v", err, calls)
	}
	// A new key whose backup is not in the bucket restores nothing: the
	// pending replay is kept, not abandoned.
	if err := run(Env{BackupName: "typo", RestoreKey: "k9", PITR: "latest"}, &fakeRestorer{}); err != nil ||
		len(calls) != 4 || calls[3] {
		t.Fatalf("backup not in the bucket: %v, settle calls %v", err, calls)
	}
	// Nor is it abandoned when the backups cannot be listed (the run
	// fails; the next start tries again).
	if err := run(Env{BackupName: "b1", RestoreKey: "k8", PITR: "latest"}, &fakeRestorer{listErr: errors.New("store down")}); err == nil ||
		len(calls) != 4 {
		t.Fatalf("listing failed: %v, settle calls %v", err, calls)
	}
	// A failed settle fails a run that restores (the pod's next start
	// tries again), never one that restores nothing: a normal start, or
	// any later start of a pod whose key is already restored.
	settle = func(context.Context, bool) error { return errors.New("disk on fire") }
	f = &fakeRestorer{listed: true}
	if err := run(Env{BackupName: "b2", RestoreKey: "k2", PITR: "latest"}, f); err == nil ||
		!strings.Contains(err.Error(), "disk on fire") || len(f.restores) != 0 {
		t.Fatalf("failed settle before a restore: %v, restores %+v", err, f.restores)
	}
	if err := run(e, &fakeRestorer{}); err != nil {
		t.Fatalf("failed settle at a start of a pod already restored: %v", err)
	}
	if err := run(Env{}, &fakeRestorer{}); err != nil {
		t.Fatalf("failed settle at a normal start: %v", err)
	}
}
