package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/medusa-go/medusa/internal/app"
	"github.com/medusa-go/medusa/internal/backup"
	"github.com/medusa-go/medusa/internal/cassandra"
	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/progress"
)

// backupFlags are the options of `medusa backup` (docs/compatibility.md, Commands and flags).
type backupFlags struct {
	name                string
	stagger             int
	md5Checks           bool
	mode                string
	keepSnapshot        bool
	useExistingSnapshot bool
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
<fqdn>/data/ only the files it does not hold yet: a stored file is reused when
it has the same name and size and was stored after the local file was written,
or has the same hash (always compared with --enable-md5-checks); other content
never overwrites a stored file (docs/differential-reuse.md). --mode full
uploads every file under <fqdn>/<backup name>/data/.

Running the name of a backup that was interrupted resumes it: only the files
not stored yet are uploaded. A snapshot left by a killed backup is cleared.

Only one backup runs on a node at a time: the lock file
$TMPDIR/medusa_backup_in_progress is held while it runs. Progress is shown on
stderr (a live line on a terminal, a log line every few seconds otherwise).
The name of a complete backup, a backup already running on the node, a
failing snapshot or upload all exit with status 1; the error names the failed
stage.

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
	}, nil
}

func (r *root) runBackup(cmd *cobra.Command, f backupFlags) error {
	opts, err := r.backupOptions(cmd, f)
	if err != nil {
		return err
	}
	cfg, err := r.loadConfig()
	if err != nil {
		return err
	}
	opts.FQDN, opts.Prefix = cfg.Storage.FQDN, cfg.Storage.Prefix
	opts.MD5Checks = opts.MD5Checks || cfg.Checks.EnableMD5Checks
	opts.MD5Concurrency = cfg.Checks.MD5CheckConcurrency
	opts.Concurrency = cfg.Storage.ConcurrentTransfers
	opts.CQLRetry = time.Duration(cfg.Cassandra.CQLRetrySeconds) * time.Second
	opts.UploadMaxAge = uploadMaxAge(cfg.Storage.AbortIncompleteUploadsAfterHours)

	logger, reporter := r.progressOutput()
	res, err := r.backupNode(cmd.Context(), cfg, opts, logger, reporter)
	r.sendBackupMetrics(cfg.Monitoring, logger, opts.Name, res, err)
	return err
}

// backupNode opens storage and the Cassandra node and runs the backup.
func (r *root) backupNode(ctx context.Context, cfg *config.Config, opts backup.Options, logger *slog.Logger,
	reporter progress.Reporter) (*backup.Result, error) {
	b, err := r.openStorage(ctx, cfg, logger)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	if err := app.RecoverRestore(ctx, cfg, logger, ""); err != nil {
		return nil, err
	}
	cass, err := app.OpenCassandra(ctx, cfg, logger)
	if err != nil {
		return nil, err
	}
	defer cass.Close()
	// The backup retries whole CQL requests (7 times, 10 s to 2 min apart,
	// as Medusa); each try connects once.
	cass.CQL.Backoff = cassandra.Backoff{Attempts: 1}
	return backup.Run(ctx, backup.Deps{
		Storage:      b,
		Node:         cass,
		Snapshotter:  cass.Snapshotter,
		FindSnapshot: findSnapshot(cass),
		Logger:       logger,
		Progress:     reporter,
	}, opts)
}

// sendBackupMetrics sends Medusa's node backup metrics ([monitoring]):
// backup-duration (seconds of data transfer), backup-size (bytes) and
// backup-error 0 after a success, backup-error 1 after a failure. A
// monitoring failure is only logged.
func (r *root) sendBackupMetrics(cfg config.Monitoring, logger *slog.Logger, name string, res *backup.Result, err error) {
	getenv := r.env.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	mon, merr := newMonitor(cfg, getenv)
	if merr != nil {
		logger.Warn("Could not send backup metrics", "error", merr.Error())
		return
	}
	type metric struct {
		what  string
		value int64
	}
	metrics := []metric{{"backup-error", 1}}
	if err == nil {
		metrics = []metric{
			{"backup-duration", int64(res.Finished.Sub(res.DataStarted).Seconds())},
			{"backup-size", res.BytesTotal},
			{"backup-error", 0},
		}
	}
	for _, m := range metrics {
		if serr := mon.send([]string{"medusa-node-backup", m.what, name}, m.value); serr != nil {
			logger.Warn("Could not send backup metric", "metric", m.what, "error", serr.Error())
		}
	}
}

// findSnapshot adapts the node's snapshot directories to the backup's view.
func findSnapshot(c *app.Cassandra) backup.FindFunc {
	return func(ctx context.Context, tag string) ([]backup.Table, error) {
		snaps, err := c.FindSnapshot(ctx, tag)
		if err != nil {
			return nil, err
		}
		tables := make([]backup.Table, len(snaps))
		for i, s := range snaps {
			files := make([]backup.File, len(s.Files))
			for j, f := range s.Files {
				files[j] = backup.File{RelPath: f.RelPath, Path: f.Path, Size: f.Size, ModTime: f.ModTime}
			}
			tables[i] = backup.Table{Keyspace: s.Keyspace, TableDir: s.TableDir, Dir: s.Dir, Files: files}
		}
		return tables, nil
	}
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
