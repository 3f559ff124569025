package cli

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/medusa-go/medusa/internal/backup"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/metrics"
	"github.com/medusa-go/medusa/internal/progress"
)

// backupFlags are the options of `medusa backup`.
type backupFlags struct {
	name                string
	stagger             int
	md5Checks           bool
	mode                string
	keepSnapshot        bool
	useExistingSnapshot bool
	failFastIfDown      bool
}

// newBackupCmd is `medusa backup` (alias backup-node): back up this node.
func newBackupCmd(r *root) *cobra.Command {
	var f backupFlags
	cmd := &cobra.Command{
		Use:     "backup",
		Aliases: []string{"backup-node"},
		Short:   "Back up the local Cassandra node",
		Long: `Back up the local Cassandra node into the bucket, in Cassandra Medusa's layout.

The node's schema, token map and server version are saved, a snapshot
"medusa-<backup name>" is taken, its files are uploaded ([storage]
concurrent_transfers at a time) and the backup is recorded in the index. The
snapshot is cleared afterwards, also when the backup fails, unless
--keep-snapshot is given.

--mode differential (the default) uploads into the node's shared pool
<fqdn>/data/ only the files it does not hold yet (same name and size, and the
same hash with --enable-md5-checks); --mode full uploads every file under
<fqdn>/<backup name>/data/.

Only one backup runs on a node at a time: the lock file
$TMPDIR/medusa_backup_in_progress is held while it runs. Progress is shown on
stderr (a live line on a terminal, a log line every few seconds otherwise).
An existing backup name, a backup already running on the node, a failing
snapshot or upload all exit with status 1; the error names the failed stage.

` + exitHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return r.runBackup(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.name, "backup-name", "",
		"backup name (default: the local time as YYYYMMDDHHMM, e.g. 202611271030)")
	fl.IntVar(&f.stagger, "stagger", 0,
		"wait up to this many seconds (checking every 60 s) for the previous node in token order "+
			"to finish a backup; 0, the default, does not wait")
	fl.BoolVar(&f.md5Checks, "enable-md5-checks", false,
		"compare hashes as well as sizes before reusing a stored file (also [checks] enable_md5_checks)")
	fl.StringVar(&f.mode, "mode", string(backup.Differential), "backup mode: full or differential")
	fl.BoolVar(&f.keepSnapshot, "keep-snapshot", false, "do not clear the Cassandra snapshot afterwards")
	fl.BoolVar(&f.useExistingSnapshot, "use-existing-snapshot", false,
		"back up the existing snapshot named exactly like --backup-name (required) instead of taking one")
	// Ours, hidden: backup-cluster sets it on every node it runs.
	fl.BoolVar(&f.failFastIfDown, failFastIfDownFlag, false,
		"fail at once when this node's Cassandra is down (nothing listens on its CQL port and no process of "+
			"it runs) instead of waiting 30 s for a restart")
	_ = fl.MarkHidden(failFastIfDownFlag)
	return cmd
}

// backupOptions checks the flags and turns them into backup options
// (without the configuration-dependent fields).
func (r *root) backupOptions(cmd *cobra.Command, f backupFlags) (backup.Options, error) {
	mode, err := backup.ParseMode(f.mode)
	if err != nil {
		return backup.Options{}, usageError{fmt.Errorf("invalid value for --mode: %w", err)}
	}
	if f.stagger < 0 {
		return backup.Options{}, usageError{fmt.Errorf("invalid value for --stagger: %d is negative", f.stagger)}
	}
	if f.useExistingSnapshot && !cmd.Flags().Changed("backup-name") {
		return backup.Options{}, usageError{fmt.Errorf("--use-existing-snapshot requires --backup-name " +
			"(the name of the snapshot to back up)")}
	}
	name := f.name
	if !cmd.Flags().Changed("backup-name") {
		name = time.Now().In(r.location()).Format("200601021504")
	}
	if err := layout.ValidateNewBackupName(name); err != nil {
		return backup.Options{}, usageError{fmt.Errorf("invalid value for --backup-name: %w", err)}
	}
	return backup.Options{
		Name:                name,
		Mode:                mode,
		Stagger:             time.Duration(f.stagger) * time.Second,
		MD5Checks:           f.md5Checks,
		KeepSnapshot:        f.keepSnapshot,
		UseExistingSnapshot: f.useExistingSnapshot,
		LockDir:             r.tempDir(),
		DownGrace:           downGrace(f.failFastIfDown),
	}, nil
}

func (r *root) runBackup(cmd *cobra.Command, f backupFlags) error {
	opts, err := r.backupOptions(cmd, f)
	if err != nil {
		return err
	}
	logger, reporter := r.progressOutput()
	a, err := r.open(cmd.Context(), logger)
	if err != nil {
		return err
	}
	res, err := a.Backup(cmd.Context(), opts, reporter)
	var seconds, bytes int64
	if err == nil {
		seconds, bytes = int64(res.Finished.Sub(res.DataStarted).Seconds()), res.BytesTotal
	}
	metrics.SendAll(a.Config.Monitoring, r.getenv, logger, metrics.NodeBackup(opts.Name, seconds, bytes, err)...)
	r.prom.Backup(metrics.NodeBackupOutcome(opts, res, r.started, err))
	r.checkBackupAgeOf(cmd.Context(), a)
	return err
}

// failFastIfDownFlag is the hidden flag of backup that backup-cluster
// passes (cluster.FailFastIfDownFlag).
const failFastIfDownFlag = "fail-fast-if-down"

// downGrace maps --fail-fast-if-down to backup.Options.DownGrace.
func downGrace(failFast bool) time.Duration {
	if failFast {
		return -1
	}
	return 0
}

// progressOutput returns the logger and progress reporter of a long
// command: on a terminal, a live progress line with the log lines passing
// above it; otherwise a progress log line every few seconds.
func (r *root) progressOutput() (*slog.Logger, progress.Reporter) {
	if f, ok := r.env.Stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		t := progress.NewTerminal(f)
		return newLogger(t.Writer(), r.g.verbosity, !r.g.withoutLogTimestamp), t
	}
	return r.logger, progress.NewLog(r.logger)
}

// tempDir is where Medusa's scratch files go: $TMPDIR, else /tmp (Python's
// tempfile.gettempdir()).
func (r *root) tempDir() string {
	getenv := r.env.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if d := getenv("TMPDIR"); d != "" {
		return d
	}
	return os.TempDir()
}
