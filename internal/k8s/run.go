package k8s

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"

	"github.com/medusa-go/medusa/internal/restore"
)

// Restorer restores the local node; Run opens one once it knows which
// node's backup is restored.
type Restorer interface {
	// Listed reports whether any node of the cluster has a backup named
	// name (Medusa lists the cluster's backups).
	Listed(ctx context.Context, name string) (bool, error)
	// Restore runs restore-node with o.
	Restore(ctx context.Context, o restore.Options) error
	Close()
}

// Options configure Run.
type Options struct {
	Env Env
	// LastRestoreDir holds LastRestoreFile (default DefaultLastRestoreDir).
	LastRestoreDir string
	// Open returns the restorer acting as node fqdn ("" in place: the
	// configuration's identity).
	Open func(ctx context.Context, fqdn string) (Restorer, error)
	// Settle, when set, looks at a point-in-time replay a previous restore
	// left for Cassandra's start (restore.SettleReplay): abandon is true
	// when this run restores again (the new restore replaces it; called
	// once the backup is known to be in the bucket, before the restore).
	// Its failure then fails the run; at a start that restores nothing it
	// is logged.
	Settle func(ctx context.Context, abandon bool) error
	// ID names the download directory <tmp>/medusa-restore-<ID> (default
	// a random UUID).
	ID     string
	Logger *slog.Logger
}

// Outcome is what Run did.
type Outcome struct {
	Decision Decision
	// Listed is false when the backup was not found (nothing restored,
	// the key recorded).
	Listed   bool
	Restored bool
	// Recorded: the key was written to LastRestoreFile.
	Recorded bool
}

// Run is the init container: decide (Decide), and unless there is
// nothing to do, check that the backup is listed, restore the node and
// record RESTORE_KEY in LastRestoreFile. A pod absent from the mapping
// and a backup that is not listed succeed without a restore and record
// the key too (as Medusa does), so they are not looked at again. Any
// failure is returned and the key is not recorded: the next start of the
// pod tries again.
func Run(ctx context.Context, o Options) (Outcome, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir := o.LastRestoreDir
	if dir == "" {
		dir = DefaultLastRestoreDir
	}
	var last string
	if o.Env.BackupName != "" && o.Env.RestoreKey != "" {
		var err error
		if last, err = ReadLastRestore(dir); err != nil {
			return Outcome{}, err
		}
	}
	d, err := Decide(o.Env, last)
	out := Outcome{Decision: d}
	if err != nil {
		return out, err
	}
	log.Info("init-restore: " + d.Reason)
	// settle looks at a pending point-in-time replay. A start of the pod
	// that restores nothing (a normal start, a key already restored, a
	// pod the mapping leaves out, a backup not in the bucket) keeps it
	// and never fails for it; a restore that is about to run replaces it.
	settle := func(abandon bool) error {
		if o.Settle == nil {
			return nil
		}
		err := o.Settle(ctx, abandon)
		if err != nil && !abandon {
			log.Warn("init-restore: no look at a pending point-in-time replay", "error", err.Error())
			return nil
		}
		if err != nil {
			return fmt.Errorf("the pending point-in-time replay: %w", err)
		}
		return nil
	}
	switch d.Action {
	case NotRequested, AlreadyDone:
		return out, settle(false)
	case NotMapped:
		if err := settle(false); err != nil {
			return out, err
		}
		return out, record(&out, dir, o.Env.RestoreKey, log)
	}
	r, err := o.Open(ctx, d.FQDN)
	if err != nil {
		return out, err
	}
	defer r.Close()
	if out.Listed, err = r.Listed(ctx, o.Env.BackupName); err != nil {
		return out, fmt.Errorf("list the backups: %w", err)
	}
	if !out.Listed {
		log.Warn(fmt.Sprintf("Skipped restore of missing backup %s: it is not in the bucket", o.Env.BackupName))
		if err := settle(false); err != nil {
			return out, err
		}
		return out, record(&out, dir, o.Env.RestoreKey, log)
	}
	// Only now, the backup known to be there, does the new restore drop
	// a replay still pending from an earlier one.
	if err := settle(true); err != nil {
		return out, err
	}
	id := o.ID
	if id == "" {
		id = newUUID()
	}
	if err := r.Restore(ctx, RestoreOptions(d, o.Env, id)); err != nil && !errors.Is(err, restore.ErrNothingToRestore) {
		return out, err
	}
	out.Restored = true
	log.Info("Finished restore of backup " + o.Env.BackupName)
	return out, record(&out, dir, o.Env.RestoreKey, log)
}

func record(out *Outcome, dir, key string, log *slog.Logger) error {
	if err := WriteLastRestore(dir, key); err != nil {
		return err
	}
	out.Recorded = true
	log.Info(fmt.Sprintf("Recorded restore key %s in %s", key, dir))
	return nil
}

// RestoreOptions are restore-node's options for decision d (Action
// Restore): the whole backup (every keyspace), in place or as node
// d.FQDN with this node's system_auth kept, no seeds to wait for, no
// verification query (Cassandra is not running), downloaded into
// <MEDUSA_TMP_DIR>/medusa-restore-<id>. Cassandra is neither stopped nor
// started and must be down. With d.PITR the backup is the base of a
// point-in-time restore that Cassandra replays at its start (every node of
// the datacenter is restored: no single-node refusal). The caller
// completes them with the configuration (storage prefix, node
// directories, concurrency, commit log paths).
func RestoreOptions(d Decision, e Env, id string) restore.Options {
	var pitr *restore.PITR
	if d.PITR != nil {
		pitr = &restore.PITR{Target: d.PITR.Time, Latest: d.PITR.Latest, SingleNode: true, Deferred: true}
	}
	return restore.Options{
		PITR:            pitr,
		Backup:          e.BackupName,
		FQDN:            d.FQDN,
		InPlace:         d.InPlace,
		KeepAuth:        !d.InPlace,
		TempDir:         e.TmpDir,
		ID:              id,
		ManageCassandra: false,
		RequireDown:     true,
	}
}

// newUUID returns a random (version 4) UUID, as Medusa names the download.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
