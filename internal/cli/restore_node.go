package cli

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/medusa-go/medusa/internal/clock"
	"github.com/medusa-go/medusa/internal/metrics"
	"github.com/medusa-go/medusa/internal/restore"
)

// restoreFlags are the options of `medusa restore-node`.
type restoreFlags struct {
	tempDir          string
	name             string
	inPlace, remote  bool
	keepAuth         bool
	seeds            string
	verify, noVerify bool
	keyspaces        []string
	tables           []string
	sstableloader    bool
	versionTarget    string
	dryRun           bool
	// seedWait and seedInterval (hidden, ours): how long and how often
	// --seeds is polled (restore-cluster uses them; Medusa: 60 x 1 min).
	seedWait, seedInterval time.Duration
	// gate (hidden, ours): hold before the stop and start stages until
	// restore-cluster answers (restore.FileGate), at most gateTimeout.
	gate        bool
	gateTimeout time.Duration
	skipSchema  bool
	schemaOnly  bool
	truncate    bool
	// pitr, pitrLatest, pitrSkew: point-in-time restore (docs/pitr.md).
	pitr       string
	pitrLatest bool
	pitrSkew   time.Duration
	pitrSingle bool
}

// newRestoreNodeCmd is `medusa restore-node`: restore the local node.
func newRestoreNodeCmd(r *root) *cobra.Command {
	var f restoreFlags
	cmd := &cobra.Command{
		Use:   "restore-node",
		Short: "Restore the local Cassandra node from a backup",
		Long: `Restore the local Cassandra node from one of its backups (or, with --fqdn,
another node's).

The restore never loses the node's data:
  1. the backup's files are downloaded into --temp-dir and checked against the
     manifest (sizes and hashes), after checking there is room for them;
  2. only then is Cassandra drained and stopped (stop_cmd);
  3. the table directories being replaced, the commit log and the saved caches
     are moved aside (not deleted) and the downloaded directories moved in;
  4. Cassandra is started (start_cmd) and must pass the [checks] health check
     (and, with --verify, the [checks] query);
  5. only then is what was moved aside removed.
If anything fails after the stop, the moved-aside files go back, Cassandra is
started again and the error says so. --dry-run prints the plan (tables, files,
bytes, directories replaced) and changes nothing.

--in-place (the default) restores onto the node that was backed up. --remote
restores another node's backup (--fqdn) onto this one: its tokens are written
into cassandra.yaml (initial_token, num_tokens, auto_bootstrap: false) and
this node keeps its own system.local and system.peers tables; --keep-auth also
keeps its system_auth. --keyspace and --table (repeatable, ks.table) restore
only those, plus the system keyspaces. --use-sstableloader streams the backup
into the running node with sstableloader instead, without stopping it:
first the part of the backup's schema the selection needs is created where
the cluster lacks it (keyspaces, user types, tables, indexes, views; columns
dropped before the backup are replayed on the tables it creates, so their
SSTables load); nothing is dropped and existing tables are kept (--truncate
empties them first). With --fqdn a,b,c the backups of several nodes are
loaded one after the other, each downloaded, loaded and removed before the
next. --schema-only creates the schema and loads nothing; --skip-schema
loads without touching the schema (a cluster restore creates the schema once,
then loads on every node with --skip-schema).

A selection that matches no table exits 0 with an error message.

--pitr <time> (RFC 3339, e.g. 2026-05-01T12:00:00.250Z or with an offset)
restores the node to that point in time from its archived commit log
([cassandra] commitlog_archiving; docs/pitr.md): the base is the newest complete backup
taken before the time (or --backup-name), the archived segments from that
backup through the time are downloaded and checked before Cassandra is
stopped, the backup is restored in place, hints are emptied, and Cassandra
replays the segments at its start up to the time (by write timestamp);
commitlog_archiving.properties is reset afterwards. --pitr-latest restores to
the newest archived write. On a cluster of several nodes restore-node --pitr
refuses (the other replicas would bring newer data back): use restore-cluster
--pitr, or --pitr-single-node to restore this node alone anyway.

` + exitHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return r.runRestoreNode(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.tempDir, "temp-dir", "", "directory the backup is downloaded into (default $TMPDIR, else /tmp)")
	fl.StringVar(&f.name, "backup-name", "", "backup to restore (required, except with --pitr)")
	fl.BoolVar(&f.inPlace, "in-place", false, "restore onto the node that was backed up (the default)")
	fl.BoolVar(&f.remote, "remote", false, "restore another node's backup onto this node")
	fl.BoolVar(&f.keepAuth, "keep-auth", false, "keep this node's system_auth (--remote only)")
	fl.StringVar(&f.seeds, "seeds", "", "comma-separated seeds: wait until one is up before starting Cassandra")
	fl.BoolVar(&f.verify, "verify", false, "run the [checks] query once the node is up")
	fl.BoolVar(&f.noVerify, "no-verify", false, "do not run the [checks] query (the default)")
	fl.StringArrayVar(&f.keyspaces, "keyspace", nil, "restore this keyspace (repeatable)")
	fl.StringArrayVar(&f.tables, "table", nil, "restore this table, as keyspace.table (repeatable)")
	fl.BoolVar(&f.sstableloader, "use-sstableloader", false, "stream the backup into the running node with sstableloader")
	fl.StringVar(&f.versionTarget, "version-target", "3.11.9", "accepted for compatibility; ports come from cassandra.yaml")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the plan and change nothing")
	fl.DurationVar(&f.seedWait, "seed-wait", 0, "how long to wait for a seed (default 60 checks)")
	fl.DurationVar(&f.seedInterval, "seed-interval", 0, "how often to check the seeds (default 1m)")
	fl.BoolVar(&f.gate, "gate", false, "wait for restore-cluster before stopping and before starting Cassandra")
	fl.DurationVar(&f.gateTimeout, "gate-timeout", time.Hour, "give up (changing nothing, or rolling back) after waiting this long at a gate")
	_ = fl.MarkHidden("gate")
	_ = fl.MarkHidden("gate-timeout")
	_ = fl.MarkHidden("seed-wait")
	_ = fl.MarkHidden("seed-interval")
	fl.BoolVar(&f.skipSchema, "skip-schema", false,
		"with --use-sstableloader: load only, do not create the backup's schema (it was created beforehand)")
	fl.BoolVar(&f.schemaOnly, "schema-only", false,
		"with --use-sstableloader: create the backup's schema where it is missing, load nothing")
	fl.BoolVar(&f.truncate, "truncate", false,
		"with --use-sstableloader: truncate the selected tables that exist before loading")
	fl.StringVar(&f.pitr, "pitr", "", "restore to this point in time (RFC 3339) from the archived commit log")
	fl.BoolVar(&f.pitrLatest, "pitr-latest", false, "restore to the newest archived write of the commit log")
	fl.BoolVar(&f.pitrSingle, "pitr-single-node", false,
		"allow --pitr on one node of a multi-node cluster (its replicas bring newer data back: docs/pitr.md)")
	fl.DurationVar(&f.pitrSkew, "pitr-skew", 0,
		"replay segments last written up to this long after the --pitr time (default 1m)")
	return cmd
}

func (f restoreFlags) options() (restore.Options, error) {
	if f.inPlace && f.remote {
		return restore.Options{}, usageError{errors.New("--in-place and --remote exclude each other")}
	}
	if f.verify && f.noVerify {
		return restore.Options{}, usageError{errors.New("--verify and --no-verify exclude each other")}
	}
	if f.skipSchema && f.schemaOnly {
		return restore.Options{}, usageError{errors.New("--skip-schema and --schema-only exclude each other")}
	}
	if (f.skipSchema || f.schemaOnly || f.truncate) && !f.sstableloader {
		return restore.Options{}, usageError{errors.New("--skip-schema, --schema-only and --truncate need --use-sstableloader")}
	}
	if f.skipSchema && f.truncate {
		return restore.Options{}, usageError{errors.New("--truncate runs with the schema step: it excludes --skip-schema")}
	}
	schema := restore.SchemaCreate
	switch {
	case f.skipSchema:
		schema = restore.SchemaSkip
	case f.schemaOnly:
		schema = restore.SchemaOnly
	}
	var seeds []string
	for _, s := range strings.Split(f.seeds, ",") {
		if s = strings.TrimSpace(s); s != "" {
			seeds = append(seeds, s)
		}
	}
	pitr, err := f.pitrOptions()
	if err != nil {
		return restore.Options{}, err
	}
	o := restore.Options{
		PITR:   pitr,
		Backup: f.name, InPlace: !f.remote, KeepAuth: f.keepAuth, Seeds: seeds, Verify: f.verify,
		Keyspaces: f.keyspaces, Tables: f.tables, UseSSTableLoader: f.sstableloader,
		Schema: schema, Truncate: f.truncate, TempDir: f.tempDir, DryRun: f.dryRun,
	}
	if f.seedInterval > 0 {
		o.Waits.SeedInterval = f.seedInterval
	}
	if f.seedWait > 0 {
		every := o.Waits.SeedInterval
		if every <= 0 {
			every = time.Minute
		}
		o.Waits.SeedAttempts = max(int(f.seedWait/every), 1)
	}
	return o, nil
}

// pitrOptions reads --pitr, --pitr-latest and --pitr-skew.
func (f restoreFlags) pitrOptions() (*restore.PITR, error) {
	if f.pitr == "" && !f.pitrLatest {
		if f.pitrSkew != 0 || f.pitrSingle {
			return nil, usageError{errors.New("--pitr-skew and --pitr-single-node go with --pitr")}
		}
		return nil, nil
	}
	if f.pitr != "" && f.pitrLatest {
		return nil, usageError{errors.New("--pitr and --pitr-latest exclude each other")}
	}
	if f.sstableloader || len(f.keyspaces) > 0 || len(f.tables) > 0 {
		return nil, usageError{errors.New("--pitr restores every table of the node in place: it excludes " +
			"--use-sstableloader, --keyspace and --table")}
	}
	p := &restore.PITR{Latest: f.pitrLatest, Skew: f.pitrSkew, SingleNode: f.pitrSingle}
	if f.pitr != "" {
		t, err := parsePITRFlag(f.pitr)
		if err != nil {
			return nil, err
		}
		p.Target = t
	}
	return p, nil
}

func (r *root) runRestoreNode(cmd *cobra.Command, f restoreFlags) error {
	if f.pitr == "" && !f.pitrLatest {
		if err := requireFlag(cmd, "backup-name"); err != nil {
			return err
		}
	}
	if f.tempDir == "" {
		f.tempDir = r.tempDir()
	}
	opts, err := f.options()
	if err != nil {
		return err
	}
	logger, reporter := r.progressOutput()
	a, err := r.open(cmd.Context(), logger)
	if err != nil {
		return err
	}
	if f.gate && !opts.DryRun && !opts.UseSSTableLoader {
		var id [6]byte
		_, _ = rand.Read(id[:])
		dir := filepath.Join(opts.TempDir, "medusa-gate-"+hex.EncodeToString(id[:]))
		defer os.RemoveAll(dir)
		opts.Gate = restore.FileGate(dir, r.env.Stderr, f.gateTimeout, 200*time.Millisecond, clock.Sleep)
	}
	res, err := a.Restore(cmd.Context(), opts, reporter)
	if opts.DryRun {
		r.skipMetrics()
	} else {
		backup := opts.Backup
		if res != nil && res.Plan != nil {
			backup = res.Plan.Backup // --pitr: the base the planner chose
		}
		r.prom.Restore(metrics.RestoreOutcome{Backup: backup, Started: r.started, Finished: time.Now(), Err: err})
	}
	if errors.Is(err, restore.ErrNothingToRestore) {
		logger.Error("There is nothing to restore")
		return nil
	}
	if err != nil {
		if opts.PITR != nil && opts.Backup == "" {
			return fmt.Errorf("restore-node --pitr: %w", err)
		}
		return fmt.Errorf("restore-node %s: %w", opts.Backup, err)
	}
	return res.WriteText(cmd.OutOrStdout())
}

// parsePITRFlag reads --pitr: an RFC 3339 time, to the microsecond, in UTC
// or with an offset; the result is in UTC.
func parsePITRFlag(v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, usageError{fmt.Errorf("--pitr %q: not an RFC 3339 time (e.g. 2026-05-01T12:00:00Z, "+
			"2026-05-01T14:00:00.000250+02:00)", v)}
	}
	return t.UTC(), nil
}
