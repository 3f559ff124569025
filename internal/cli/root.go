package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/medusa-go/medusa/internal/app"
	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/metrics"
	"github.com/medusa-go/medusa/internal/remote"
	"github.com/medusa-go/medusa/internal/storage"
)

// DefaultConfigFile is where medusa.ini is read from unless --config-file says otherwise.
const DefaultConfigFile = "/etc/medusa/medusa.ini"

// Env is everything the CLI takes from the process, so tests can run it in-process.
type Env struct {
	Args           []string
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Version        string
	// WrapStorage, when set, wraps the storage stack each command opens
	// (outermost), e.g. to count the requests a command makes in tests.
	WrapStorage func(storage.Backend) storage.Backend
}

// globals holds the global options of Medusa's CLI (docs/compatibility.md, Commands and flags).
type globals struct {
	configFile            string
	bucketName            string
	keyFile               string
	prefix                string
	fqdn                  string
	backupGracePeriodDays string
	sshUsername           string
	sshKeyFile            string
	verbosity             int
	withoutLogTimestamp   bool
}

// root carries what every command needs: the process environment, the
// parsed global flags and, once loaded, the configuration and logger.
type root struct {
	env    Env
	g      globals
	cmd    *cobra.Command
	logger *slog.Logger
	// cmdName and started are the command being run and when it began;
	// prom its Prometheus metrics (nil unless configured, see startMetrics).
	cmdName string
	started time.Time
	prom    *metrics.Run
}

const exitHelp = `Exit codes:
  0    success
  1    the operation failed (storage, Cassandra, unknown backup, ...)
  2    usage or configuration error (bad flags, missing or invalid medusa.ini or key_file)
  130  interrupted by SIGINT/SIGTERM`

// Execute runs the CLI and returns the process exit code.
func Execute(ctx context.Context, env Env) int {
	r := newRoot(env)
	r.cmd.SetArgs(expandShortFlags(env.Args))
	err := r.cmd.ExecuteContext(ctx)
	r.finishMetrics(err)
	return r.exitCode(ctx, err)
}

func newRoot(env Env) *root {
	r := &root{env: env}
	cmd := &cobra.Command{
		Use:   "medusa",
		Short: "Back up and restore Apache Cassandra nodes to object storage",
		Long: `medusa backs up and restores Apache Cassandra nodes to S3, S3-compatible stores,
Google Cloud Storage, Azure Blob Storage or a local directory. It reads Cassandra
Medusa's medusa.ini and writes Medusa's bucket layout, so backups made by either
tool can be listed, verified and restored by the other.

` + exitHelp,
		Version:       versionString(env.Version),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			r.logger = newLogger(r.env.Stderr, r.g.verbosity, !r.g.withoutLogTimestamp)
			r.cmdName, r.started = cmd.Name(), time.Now()
			return nil
		},
	}
	cmd.SetOut(env.Stdout)
	cmd.SetErr(env.Stderr)
	cmd.SetVersionTemplate("{{.Version}}\n")
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w\nRun '%s --help' for usage.", err, c.CommandPath())}
	})
	f := cmd.PersistentFlags()
	f.StringVar(&r.g.configFile, "config-file", DefaultConfigFile, "path to medusa.ini")
	f.StringVar(&r.g.bucketName, "bucket-name", "", "bucket to use, overrides [storage] bucket_name")
	f.StringVar(&r.g.keyFile, "key-file", "", "credentials file, overrides [storage] key_file (only that one)")
	f.StringVar(&r.g.prefix, "prefix", "", "key prefix for multi-tenant buckets, overrides [storage] prefix")
	f.StringVar(&r.g.fqdn, "fqdn", "", "act as this node, overrides [storage] fqdn")
	f.StringVar(&r.g.backupGracePeriodDays, "backup-grace-period-in-days", "",
		"overrides [storage] backup_grace_period_in_days")
	f.StringVar(&r.g.sshUsername, "ssh-username", "", "overrides [ssh] username")
	f.StringVar(&r.g.sshKeyFile, "ssh-key-file", "", "overrides [ssh] key_file")
	f.CountVarP(&r.g.verbosity, "verbosity", "v", "more output: -v debug, -vv everything")
	f.BoolVar(&r.g.withoutLogTimestamp, "without-log-timestamp", false, "omit timestamps from log lines")
	r.cmd = cmd
	cmd.AddCommand(newConfigCmd(r))
	cmd.AddCommand(newBackupCmd(r))
	cmd.AddCommand(newListBackupsCmd(r))
	cmd.AddCommand(newStatusCmd(r))
	cmd.AddCommand(newVerifyCmd(r))
	cmd.AddCommand(newGetLastCompleteClusterBackupCmd(r))
	cmd.AddCommand(newFetchTokenmapCmd(r))
	cmd.AddCommand(newBuildIndexCmd(r))
	cmd.AddCommand(newReportLastBackupCmd(r))
	cmd.AddCommand(newRestoreNodeCmd(r))
	cmd.AddCommand(newRestoreClusterCmd(r))
	cmd.AddCommand(newStopCassandraCmd(r))
	cmd.AddCommand(newRestoreGateCmd())
	cmd.AddCommand(newDownloadCmd(r))
	cmd.AddCommand(newPurgeCmd(r))
	cmd.AddCommand(newDeleteBackupCmd(r))
	cmd.AddCommand(newPurgeDecommissionedCmd(r))
	cmd.AddCommand(newEncryptBackupsCmd(r))
	cmd.AddCommand(newBackupClusterCmd(r))
	cmd.AddCommand(newGRPCServerCmd(r))
	cmd.AddCommand(newNodeCmds(r)...)
	cmd.AddCommand(newInitRestoreCmd(r))
	cmd.AddCommand(newCheckCmd(r))
	cmd.AddCommand(newContainerEntrypointCmd(r, Execute))
	cmd.AddCommand(newCommitlogCmd(r))
	return r
}

// open reads medusa.ini with the global flags applied as overrides, logs
// every warning (unknown keys, deprecated variables) and returns the app
// that builds the command's services, logging to logger (nil: the root
// logger). ctx bounds the fqdn lookup.
func (r *root) open(ctx context.Context, logger *slog.Logger) (*app.App, error) {
	cfg, warnings, err := config.Load(ctx, r.g.configFile, r.overrides(), r.env.Getenv)
	for _, w := range warnings {
		r.logger.Warn(w.String())
	}
	if err != nil {
		return nil, configError{err}
	}
	if logger == nil {
		logger = r.logger
	}
	a := app.New(cfg, logger)
	a.WrapStorage = r.env.WrapStorage
	a.Version = r.env.Version
	r.startMetrics(cfg, a)
	return a, nil
}

func (r *root) overrides() config.Overrides {
	var ov config.Overrides
	set := func(flag string, dst **string, v string) {
		if r.cmd.PersistentFlags().Changed(flag) {
			s := v
			*dst = &s
		}
	}
	set("bucket-name", &ov.BucketName, r.g.bucketName)
	set("key-file", &ov.KeyFile, r.g.keyFile)
	set("prefix", &ov.Prefix, r.g.prefix)
	set("fqdn", &ov.FQDN, r.g.fqdn)
	set("backup-grace-period-in-days", &ov.BackupGracePeriodInDays, r.g.backupGracePeriodDays)
	set("ssh-username", &ov.SSHUsername, r.g.sshUsername)
	set("ssh-key-file", &ov.SSHKeyFile, r.g.sshKeyFile)
	return ov
}

// usageError and configError map to exit code 2.
type usageError struct{ error }
type configError struct{ error }

func (e usageError) Unwrap() error  { return e.error }
func (e configError) Unwrap() error { return e.error }

func (r *root) exitCode(ctx context.Context, err error) int {
	if err == nil {
		return 0
	}
	var es exitStatus
	if errors.As(err, &es) { // a command run by container-entrypoint, which reported its own error
		return int(es)
	}
	if ctx.Err() != nil { // SIGINT/SIGTERM; a Canceled error without it is a failure like any other
		return r.interrupted(err)
	}
	fmt.Fprintln(r.env.Stderr, "Error:", err)
	var ue usageError
	var ce configError
	switch {
	case errors.As(err, &ue), errors.As(err, &ce), isCobraUsage(err), storage.IsMisconfigured(err), remote.IsConfigError(err):
		return 2
	default:
		return 1
	}
}

// isCobraUsage recognises cobra's own argument errors (unknown command,
// wrong number of arguments), which it returns as plain errors.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires "} {
		if len(msg) >= len(p) && msg[:len(p)] == p {
			return true
		}
	}
	return false
}

func versionString(v string) string {
	if v != "" {
		return v
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
