package restore

import (
	"fmt"
	"strings"
)

// Stage names a step of a restore.
type Stage string

// Stages of a restore, in order. An error names the stage that failed.
const (
	StagePlan      Stage = "plan"       // find the backup, read manifest and token map, select tables
	StagePrepare   Stage = "prepare"    // free space, permissions, aside directories
	StageDownload  Stage = "download"   // every file into the temporary directory
	StageCheck     Stage = "check"      // sizes and hashes against the manifest
	StageSegments  Stage = "segments"   // --pitr: archived commit log segments downloaded and checked
	StageStop      Stage = "stop"       // nodetool drain, stop_cmd, wait until down
	StageMoveAside Stage = "move-aside" // replaced table dirs, commit log, saved caches
	StagePlace     Stage = "place"      // downloaded dirs into the data dir, cassandra.yaml
	StageStart     Stage = "start"      // wait for seeds, start_cmd
	StageWaitUp    Stage = "wait-up"    // health check and CQL
	StageReplay    Stage = "replay"     // --pitr: replay count, properties reset, restore dir removed
	StageVerify    Stage = "verify"     // [checks] query
	StageCleanup   Stage = "cleanup"    // remove what was moved aside and the download
	StageSchema    Stage = "schema"     // sstableloader: create the missing schema
	StageLoad      Stage = "load"       // sstableloader
	StageRollback  Stage = "rollback"
)

// StageError is a failed restore. After the node was stopped, a failure
// is rolled back: RolledBack tells whether that succeeded (the node's data
// is as it was and Cassandra runs again); RollbackErr is why not.
type StageError struct {
	Stage Stage
	Err   error
	// NodeTouched: the node was stopped or its files changed.
	NodeTouched bool
	RolledBack  bool
	RollbackErr error
	// DataRestored: the rollback put every file back (RolledBack, or
	// RollbackErr only because Cassandra did not start again).
	DataRestored bool
	// Aside lists where the node's previous files are when the rollback
	// failed; Journal is the record of every move.
	Aside   []string
	Journal string
}

func (e *StageError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "restore failed at stage %s: %v", e.Stage, e.Err)
	switch {
	case !e.NodeTouched:
		b.WriteString(" (Cassandra was not stopped and no file of the node was changed)")
	case e.RolledBack:
		b.WriteString("; rolled back: what was moved aside was put back and Cassandra runs again; " +
			"the node's data is as it was before the restore")
	case e.RollbackErr != nil && e.DataRestored:
		fmt.Fprintf(&b, "; rolled back the files: the node's data is as it was before the restore, but %v; "+
			"check Cassandra and start it with start_cmd", e.RollbackErr)
	case e.RollbackErr != nil:
		fmt.Fprintf(&b, "; ROLLBACK FAILED: %v. The node's previous files are kept in %s "+
			"(every move is recorded in %s); the next medusa restore-node or backup retries the rollback "+
			"from that journal: fix the cause, then run one of them (do not start Cassandra before)",
			e.RollbackErr, strings.Join(e.Aside, " and "), e.Journal)
	}
	return b.String()
}

func (e *StageError) Unwrap() error { return e.Err }

func stageErr(stage Stage, err error) error {
	if err == nil {
		return nil
	}
	return &StageError{Stage: stage, Err: err}
}
