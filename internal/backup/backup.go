package backup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/medusa-go/medusa/internal/clock"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/progress"
	"github.com/medusa-go/medusa/internal/storage"
)

// Mode is the kind of node backup.
type Mode string

// Backup modes (--mode).
const (
	// Full uploads every file under P<fqdn>/<backup>/data/.
	Full Mode = "full"
	// Differential uploads into the node's shared pool P<fqdn>/data/ only
	// the files it does not hold yet.
	Differential Mode = "differential"
)

// ParseMode reads a --mode value.
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case Full, Differential:
		return Mode(s), nil
	}
	return "", fmt.Errorf("mode %q is not one of full, differential", s)
}

// Options are the settings of one node backup.
type Options struct {
	// Name is the backup name (--backup-name), one key segment.
	Name string
	// FQDN is this node's identity in the bucket ([storage] fqdn).
	FQDN string
	// Prefix is [storage] prefix ("" for none).
	Prefix string
	Mode   Mode
	// Stagger is how long to wait for the previous node in token order to
	// have a finished backup (0: do not wait).
	Stagger time.Duration
	// MD5Checks compares hashes as well as sizes before reusing a file.
	MD5Checks bool
	// MD5Concurrency is [checks] md5_check_concurrency (default 1).
	MD5Concurrency int
	// Concurrency is [storage] concurrent_transfers (default 1).
	Concurrency int
	// KeepSnapshot leaves the Cassandra snapshot in place.
	KeepSnapshot bool
	// UseExistingSnapshot backs up the snapshot named exactly Name instead
	// of taking medusa-<Name>.
	UseExistingSnapshot bool
	// LockDir holds the in-progress marker (default os.TempDir()).
	LockDir string
	// UploadMaxAge: incomplete multipart uploads of this node started
	// longer ago are aborted before the backup (default
	// DefaultUploadMaxAge; negative: never by age).
	UploadMaxAge time.Duration
	// CQLRetry is how long, in total, the CQL requests are retried
	// ([cassandra] cql_retry_seconds; default 390 s, Medusa's schedule).
	CQLRetry time.Duration
	// DownGrace is how long CQL requests are still retried once the node's
	// Cassandra is seen down (nothing listens, no process of the node):
	// 0 means cassandra.DownGrace (it may be restarting), a negative value
	// fails at once (backup-cluster: a node that died after its snapshot
	// must not hold up the others).
	DownGrace time.Duration
}

// Deps are the collaborators of a backup. Storage, Node, Snapshotter and
// FindSnapshot are required.
type Deps struct {
	Storage      storage.Backend
	Node         Node
	Snapshotter  Snapshotter
	FindSnapshot FindFunc
	// Finished tells whether a node has a finished backup (stagger);
	// default: LatestFinished on Storage.
	Finished FinishedFunc
	// ExpectedHash computes the hash the store would report for a local
	// file (MD5 checks); default: the Storage's own ExpectedHash
	// capability, else the plain MD5.
	ExpectedHash func(ctx context.Context, src storage.Source) (string, error)
	Logger       *slog.Logger
	Progress     progress.Reporter
	// Clock is the time source: stagger polling and CQL retries sleep on
	// it (default clock.System).
	Clock clock.Clock
	// PITR, when set, records what a point-in-time restore from this
	// backup needs (commit log archiving on, docs/pitr.md).
	PITR PITRRecorder
	// CheckPrefix, when set, runs twice: once the meta files are written
	// (so that anything listing the prefix later sees this backup) and
	// before any data upload, then just before meta/manifest.json, which
	// makes the backup finished. Its error fails the backup, left
	// unfinished. The app checks there that medusa encrypt-backups did
	// not begin on the prefix of a plain backup.
	CheckPrefix func(ctx context.Context, backup string) error
}

// PITRRecorder is told when the snapshot is taken and writes its record
// (meta/pitr.json) before the manifest, so that Python Medusa, which
// trusts only what the manifest completes, ignores it.
type PITRRecorder interface {
	// BeforeSnapshot runs just before the snapshot is taken (also when an
	// existing snapshot is used: then the bound is only as good as that).
	BeforeSnapshot(ctx context.Context)
	// AfterSnapshot runs once the snapshot command returned.
	AfterSnapshot(ctx context.Context)
	// Write stores the record of backup under the node's meta/ directory.
	Write(ctx context.Context, b storage.Backend, l layout.Layout, fqdn, backup string) error
}

// Stage names a step of the pipeline.
type Stage string

// The stages, in order.
const (
	StageLock        Stage = "lock"
	StageCheck       Stage = "check-exists"
	StageMeta        Stage = "meta"
	StageIndexStart  Stage = "index-start"
	StageStagger     Stage = "stagger"
	StageSnapshot    Stage = "snapshot"
	StagePool        Stage = "pool"
	StageCompare     Stage = "compare"
	StageUpload      Stage = "upload"
	StageManifest    Stage = "manifest"
	StageIndexFinish Stage = "index-finish"
	StageCleanup     Stage = "cleanup"
)

// StageError is a failure of one stage.
type StageError struct {
	Stage Stage
	Err   error
}

func (e *StageError) Error() string { return fmt.Sprintf("backup stage %s: %v", e.Stage, e.Err) }
func (e *StageError) Unwrap() error { return e.Err }

// ErrAlreadyExists is returned (wrapped) when the node backup exists.
var ErrAlreadyExists = errors.New("already exists")

// ErrInProgress is returned (wrapped) when another backup runs on the node.
var ErrInProgress = errors.New("another backup is in progress on this node")

func (o *Options) validate(d *Deps) error {
	if err := layout.ValidateBackupName(o.Name); err != nil {
		return err
	}
	if err := layout.RefuseReservedBackupName(o.Name); err != nil {
		return err
	}
	if err := layout.ValidateFQDN(o.FQDN); err != nil {
		return err
	}
	if err := layout.ValidatePrefix(o.Prefix); err != nil {
		return err
	}
	if _, err := ParseMode(string(o.Mode)); err != nil {
		return err
	}
	if d.Storage == nil || d.Node == nil || d.Snapshotter == nil || d.FindSnapshot == nil {
		return errors.New("backup: Storage, Node, Snapshotter and FindSnapshot are required")
	}
	o.Concurrency = max(o.Concurrency, 1)
	o.MD5Concurrency = max(o.MD5Concurrency, 1)
	if o.LockDir == "" {
		o.LockDir = os.TempDir()
	}
	if o.UploadMaxAge == 0 {
		o.UploadMaxAge = DefaultUploadMaxAge
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Progress == nil {
		d.Progress = progress.Discard
	}
	if d.Clock == nil {
		d.Clock = clock.System{}
	}
	if d.Finished == nil {
		d.Finished = LatestFinished(d.Storage, layout.New(o.Prefix))
	}
	return nil
}
