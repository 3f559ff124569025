package backup

import (
	"context"
	"time"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
)

// Result describes a finished node backup.
type Result struct {
	Name string
	Mode Mode
	// Started is when Run began, DataStarted when the snapshot was taken
	// (after any stagger wait), Finished when the index was complete.
	Started, DataStarted, Finished time.Time
	// FilesNew were absent from storage, FilesReuploaded were there but
	// did not match, FilesKept were reused from the differential pool.
	FilesNew, FilesReuploaded, FilesKept int
	// BytesUploaded by this backup; BytesTotal of every file in it.
	BytesUploaded, BytesTotal int64
	// Snapshot is the Cassandra snapshot tag that was backed up.
	Snapshot string
	// SnapshotKept is set when the snapshot was left in place (asked for
	// with KeepSnapshot, or clearing it failed).
	SnapshotKept bool
	Manifest     layout.Manifest
}

// run is the state shared by the stages of one backup.
type run struct {
	d   Deps
	o   Options
	l   layout.Layout
	res *Result
	// markerMod is when the in-progress marker was last written before this
	// run locked it (see staleMarker).
	markerMod time.Time
	// contentHashes: the store's hashes are MD5s of the content (not with
	// SSE-KMS/SSE-C), so a matching hash proves the same content.
	contentHashes bool

	// meta: what was written under meta/, reused by the index stages.
	tokenmap  layout.Tokenmap
	tokenJSON []byte
	schema    []byte
	// manifestJSON is meta/manifest.json as written (manifest stage).
	manifestJSON []byte

	snapshotTag string                        // set once the snapshot stage began: clear it at the end
	tables      []Table                       // snapshot contents (snapshot stage)
	pool        map[string]storage.ObjectInfo // stored data objects by key (pool stage)
	candidates  candidateIndex                // the same, by the key without variant directory
	matches     *hashCache                    // files matched by hash (compare stage)
	resuming    bool                          // an interrupted run of this backup is resumed (check-exists)
	// resumedStarted is the started_ epoch of the interrupted run.
	resumedStarted int64
	plans          []tablePlan // per table: uploads and reuses (compare stage)
}

// Run performs one node backup. Every failure is a *StageError; the
// snapshot is cleared (unless KeepSnapshot) whether the backup succeeded
// or not.
func Run(ctx context.Context, d Deps, o Options) (*Result, error) {
	if err := o.validate(&d); err != nil {
		return nil, &StageError{Stage: StageCheck, Err: err}
	}
	r := &run{d: d, o: o, l: layout.New(o.Prefix), res: &Result{Name: o.Name, Mode: o.Mode, Started: d.Clock.Now()}}

	lock, err := lockMarker(o.LockDir)
	if err != nil {
		return nil, &StageError{Stage: StageLock, Err: err}
	}
	defer lock.release()
	if parseOwner(lock.previous).PID != 0 {
		// A killed run of ours left the marker (Python Medusa's marker is
		// empty, and a running Python backup holds no lock on it).
		r.markerMod = lock.previousMod
	}

	d.Logger.Info("Starting backup", "name", o.Name, "mode", string(o.Mode), "stagger", o.Stagger.String(),
		"fqdn", o.FQDN)
	err = r.takeOver(ctx, lock)
	if err != nil {
		err = &StageError{Stage: StageLock, Err: err}
	} else {
		err = r.stages(ctx)
	}
	r.clearSnapshot(ctx)
	if err != nil {
		logFailure(ctx, d.Logger, o.Name, err)
		return nil, err
	}
	r.res.Finished = d.Clock.Now()
	r.logSummary()
	return r.res, nil
}

// writePITR writes meta/pitr.json when a PITR recorder is set.
func (r *run) writePITR(ctx context.Context) error {
	if r.d.PITR == nil {
		return nil
	}
	return r.d.PITR.Write(ctx, r.d.Storage, r.l, r.o.FQDN, r.o.Name)
}

// stages runs every stage up to the index, stopping at the first error.
func (r *run) stages(ctx context.Context) error {
	stages := []struct {
		stage Stage
		fn    func(context.Context) error
	}{
		{StageCheck, r.checkExists},
		{StageCheck, r.cleanIncompleteUploads},
		{StageMeta, r.writeMeta},
		{StageMeta, r.checkPrefix},
		{StageIndexStart, r.indexStart},
		{StageStagger, r.stagger},
		{StageSnapshot, r.snapshot},
		{StagePool, r.listPool},
		{StageCompare, r.compare},
		{StageUpload, r.upload},
		{StageManifest, r.writePITR},
		{StageManifest, r.writeManifest},
		{StageIndexFinish, r.indexFinish},
	}
	for _, s := range stages {
		if err := ctx.Err(); err != nil {
			return &StageError{Stage: s.stage, Err: err}
		}
		if err := s.fn(ctx); err != nil {
			return &StageError{Stage: s.stage, Err: err}
		}
	}
	return nil
}
