package restore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/medusa-go/medusa/internal/cassandra"
)

// Result describes a finished restore.
type Result struct {
	Plan   *Plan
	DryRun bool
	// Previews are the plans of a dry run (one per node backup with
	// sstableloader); WriteText prints them.
	Previews []Preview
	// Replaced are the table directories that were moved aside and
	// replaced (or wiped), now removed.
	Replaced []string
	// Schema is what the schema step of a restore with sstableloader did
	// (nil when it did not run).
	Schema   *cassandra.SchemaResult
	Began    time.Time
	Stopped  time.Time // Cassandra stopped (zero if it was not)
	Up       time.Time // Cassandra up again
	Finished time.Time
	// PITR describes the point-in-time part (nil for a plain restore).
	PITR *PITRResult
}

// run is one restore of the node's files.
type run struct {
	d   *Deps
	o   *Options
	p   *Plan
	res *Result

	staging string    // <temp>/medusa-restore-<id>: the download
	fetched []fetched // the downloaded files
	j       *journal  // every change to the node
	asides  map[string]string
	uid     int
	gid     int

	touched bool // the node was drained or stopped: failures roll back
	// downAt is when Cassandra was seen down after the stop (the
	// point-in-time restore marker's time).
	downAt  time.Time
	drained bool

	startLog startMark // system.log's end before the last start
	// seedsGaveUp: waitSeeds gave up (the rollback does not wait again).
	seedsGaveUp bool

	pitr *pitrRun // the point-in-time part (nil for a plain restore)
}

// Run restores the local node from a backup (restore-node), as explicit
// stages: see the package documentation. Failures are *StageError; with
// DryRun the result holds the plan (Result.WriteText prints it) and
// nothing changes. Nothing is changed on the node before every file was
// downloaded and checked.
func Run(ctx context.Context, d Deps, o Options) (*Result, error) {
	d.setDefaults()
	if err := o.validate(&d); err != nil {
		return nil, stageErr(StagePlan, err)
	}
	if o.UseSSTableLoader {
		return runLoader(ctx, &d, &o)
	}
	r := &run{d: &d, o: &o, asides: map[string]string{},
		res: &Result{Began: d.Now(), DryRun: o.DryRun}}
	return r.execute(ctx)
}

func (r *run) execute(ctx context.Context) (*Result, error) {
	if r.o.PITR != nil {
		if err := r.planPITR(ctx); err != nil {
			return nil, stageErr(StagePlan, err)
		}
	}
	f := Filter{Keyspaces: r.o.Keyspaces, Tables: r.o.Tables}
	p, err := buildPlan(ctx, r.d, r.o, r.o.FQDN, f, r.o.Node.DataDir)
	if err != nil {
		return nil, stageErr(StagePlan, err)
	}
	r.p, r.res.Plan = p, p
	for _, t := range p.Ignored {
		r.d.Logger.Info("Skipping restore of " + t)
	}
	if len(p.Tables) == 0 {
		return nil, stageErr(StagePlan, ErrNothingToRestore)
	}
	r.staging = filepath.Join(r.o.TempDir, "medusa-restore-"+r.o.ID)
	if r.o.DryRun {
		pv, err := r.preview()
		if err != nil {
			return nil, stageErr(StagePlan, err)
		}
		r.res.Previews = []Preview{pv}
		r.res.Finished = r.d.Now()
		return r.res, nil
	}
	unlock, err := acquireLock(r.o.TempDir)
	if err != nil {
		return nil, stageErr(StagePrepare, err)
	}
	defer unlock()
	defer func() { r.j.close() }()
	stages := []struct {
		name Stage
		fn   func(context.Context) error
	}{
		{StagePrepare, r.prepare}, {StageDownload, r.download}, {StageCheck, r.check},
		{StageSegments, r.downloadSegments},
		{StageStop, r.stop}, {StageMoveAside, r.moveAside}, {StagePlace, r.placeAll},
		{StageStart, r.start}, {StageWaitUp, r.waitUp}, {StageReplay, r.replayPITR}, {StageVerify, r.verify},
	}
	for _, s := range stages {
		if err := ctx.Err(); err != nil {
			return nil, r.fail(ctx, s.name, err)
		}
		if err := r.gate(ctx, s.name); err != nil {
			return nil, r.fail(ctx, s.name, err)
		}
		r.enterStage(s.name)
		if err := s.fn(ctx); err != nil {
			return nil, r.fail(ctx, s.name, err)
		}
	}
	r.writeMarker(ctx)
	r.cleanup(ctx)
	r.res.Finished = r.d.Now()
	r.summary()
	return r.res, nil
}

// fail turns a stage failure into a StageError: before the node was
// touched, the download is discarded; after, everything is rolled back.
func (r *run) fail(ctx context.Context, stage Stage, err error) error {
	se := &StageError{Stage: stage, Err: err}
	if !r.touched {
		r.discard(context.WithoutCancel(ctx))
		r.d.Logger.Error("Restore failed; Cassandra was not stopped and no file of the node was changed",
			"stage", stage, "error", err.Error())
		return se
	}
	se.NodeTouched = true
	r.d.Logger.Error("Restore failed after Cassandra was stopped: rolling back", "stage", stage, "error", err.Error())
	if r.o.Gate != nil {
		// The orchestrator releases the nodes it holds (the seeds this
		// node's rollback may wait for).
		_ = r.o.Gate(context.WithoutCancel(ctx), GateFailed)
	}
	if rbErr := r.rollback(context.WithoutCancel(ctx)); rbErr != nil {
		se.RollbackErr = rbErr
		var dr *dataRestoredError
		if se.DataRestored = errors.As(rbErr, &dr); se.DataRestored {
			r.markRolledBack()
			r.discard(context.WithoutCancel(ctx))
			r.d.Logger.Error("The node's files are as before the restore, but Cassandra does not run", "error", rbErr.Error())
			return se
		}
		if r.j != nil {
			se.Journal = r.j.Path
		}
		se.Aside = r.asideRoots()
		r.d.Logger.Error("Rollback did not complete", "error", rbErr.Error(), "journal", se.Journal)
		return se
	}
	se.RolledBack, se.DataRestored = true, true
	r.markRolledBack()
	r.discard(context.WithoutCancel(ctx))
	r.d.Logger.Warn("Rolled back: the node's data is as it was before the restore and Cassandra runs again")
	return se
}

// asideRoots returns the aside directories in a stable order.
func (r *run) asideRoots() []string {
	var out []string
	for _, dir := range append([]string{r.o.Node.DataDir}, r.sideDirs()...) {
		if a, ok := r.asides[dir]; ok {
			out = append(out, a)
		}
	}
	return out
}

// markRolledBack records that every change was undone (the journal is
// then only removed).
func (r *run) markRolledBack() {
	if r.j == nil {
		return
	}
	if err := r.j.mark(stateRolledBack); err != nil {
		r.d.Logger.Warn("could not record the rollback", "error", err.Error())
	}
}

// gate holds the restore before the stop and start stages when
// Options.Gate is set.
func (r *run) gate(ctx context.Context, stage Stage) error {
	if r.o.Gate == nil || (stage != StageStop && stage != StageStart) {
		return nil
	}
	step := GateStop
	if stage == StageStart {
		step = GateStart
	}
	return r.o.Gate(ctx, step)
}

// enterStage tells a fault-injecting FS (tests) which stage starts.
func (r *run) enterStage(name Stage) {
	if s, ok := r.d.FS.(interface{ enterStage(string) }); ok {
		s.enterStage(string(name))
	}
}

// wait polls check on schedule b until it returns true; ok is false when
// it never did (why is its last explanation).
func (r *run) wait(ctx context.Context, b Backoff, check func() (bool, string)) (ok bool, why string, err error) {
	for attempt := 1; ; attempt++ {
		if ok, why = check(); ok {
			return true, "", nil
		}
		if attempt >= b.Attempts {
			return false, why, nil
		}
		if err := r.d.Sleep(ctx, b.Delay(attempt)); err != nil {
			return false, why, err
		}
	}
}

// gaveUp formats a wait that ended without success.
func gaveUp(what string, b Backoff, why string) error {
	if why != "" {
		why = ": " + why
	}
	return fmt.Errorf("%s after %d checks%s", what, b.Attempts, why)
}

func removeFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
