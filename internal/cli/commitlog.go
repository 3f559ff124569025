package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/medusa-go/medusa/internal/app"
	"github.com/medusa-go/medusa/internal/commitlog"
	"github.com/medusa-go/medusa/internal/config"
)

// newCommitlogCmd is `medusa commitlog`, the commit log archiving commands
// of point-in-time restore (docs/pitr.md).
func newCommitlogCmd(r *root) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "commitlog",
		Short: "Archive Cassandra commit log segments for point-in-time restore",
		Long: `Commit log archiving for point-in-time restore (docs/pitr.md):

  enable / disable  set or clear archive_command in commitlog_archiving.properties
                    (Cassandra reads it at start: restart the node afterwards)
  archive           the archive_command Cassandra runs for each closed segment
  sync              upload the spooled segments to the bucket
  list              the archived segments of a node, their runs and gaps
`,
	}
	cmd.AddCommand(newCommitlogArchiveCmd(r), newCommitlogSyncCmd(r), newCommitlogListCmd(r),
		newCommitlogEnableCmd(r, true), newCommitlogEnableCmd(r, false))
	return cmd
}

// newCommitlogArchiveCmd is `medusa commitlog archive <path> <name>`.
func newCommitlogArchiveCmd(r *root) *cobra.Command {
	return &cobra.Command{
		Use:   "archive <path> <name>",
		Short: "Hand a closed segment to the spool (Cassandra's archive_command)",
		Long: `Hard-link the closed commit log segment <path> (Cassandra's %path) named <name>
(%name) into the spool ([cassandra] commitlog_spool_dir), where "medusa commitlog sync"
uploads it from. It takes milliseconds, needs no storage credentials, writes
nothing to stdout or stderr on success (Cassandra reads that output only once
the command ended) and logs to the [logging] file, else to
medusa-archive.log in the spool. Running it twice for a segment is harmless.

` + exitHelp,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return r.runArchive(cmd.Context(), args[0], args[1])
		},
	}
}

// archiveResolver answers the fqdn lookup of the archive command without
// the network: the archive never names the node.
type archiveResolver struct{}

func (archiveResolver) LocalFQDN(context.Context) (string, error) { return "localhost", nil }
func (archiveResolver) LookupIP(context.Context, string) (string, error) {
	return "127.0.0.1", nil
}
func (archiveResolver) LookupAddr(context.Context, string) ([]string, error) {
	return []string{"localhost"}, nil
}

func (r *root) runArchive(ctx context.Context, path, name string) error {
	cfg, warnings, err := (&config.Loader{Resolver: archiveResolver{}}).Load(ctx, r.g.configFile, r.overrides(), r.env.Getenv)
	if err != nil {
		return configError{fmt.Errorf("commitlog archive %s: %w", path, err)}
	}
	spool := cfg.Commitlog.SpoolDir
	if spool == "" {
		spool = filepath.Join(filepath.Dir(path), commitlog.DefaultSpoolName)
	}
	logger, closeLog := archiveLogger(cfg, spool)
	defer closeLog()
	for _, w := range warnings {
		logger.Warn(w.String())
	}
	start, pid := commitlog.ParentJVM()
	err = commitlog.Archive(commitlog.ArchiveRequest{Path: path, Name: name, SpoolDir: spool,
		JVMStartMs: start, JVMPid: pid, MedusaVersion: r.env.Version, Now: time.Now(), Logger: logger})
	if err != nil {
		logger.Error("Commit log segment not archived; medusa commitlog sync will pick it up from the commit log directory",
			"error", err)
		return err
	}
	logger.Debug("Commit log segment spooled", "segment", path, "spool", spool)
	return nil
}

// archiveLogger logs to the [logging] file when logging is enabled, else
// to medusa-archive.log in the spool; never to stdout or stderr.
func archiveLogger(cfg *config.Config, spool string) (*slog.Logger, func()) {
	file := filepath.Join(spool, "medusa-archive.log")
	if cfg.Logging.Enabled && cfg.Logging.File != "" {
		file = cfg.Logging.File
	}
	_ = os.MkdirAll(filepath.Dir(file), 0o750)
	f, err := os.OpenFile(file, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return slog.New(slog.DiscardHandler), func() {}
	}
	return newLogger(f, 0, true), func() { f.Close() }
}

// newCommitlogEnableCmd is `medusa commitlog enable` (on) or `disable`.
func newCommitlogEnableCmd(r *root, on bool) *cobra.Command {
	use, short := "enable", "Set archive_command in commitlog_archiving.properties"
	if !on {
		use, short = "disable", "Clear archive_command in commitlog_archiving.properties"
	}
	return &cobra.Command{
		Use:   use,
		Short: short,
		Long: short + ` ([cassandra] commitlog_properties_file,
by default the one beside cassandra.yaml), keeping every other line. The line
enable writes is

  archive_command=<this medusa binary> --config-file <medusa.ini> commitlog archive %path %name

with absolute paths, which must not contain spaces. Cassandra reads the file
only when it starts: restart the node for the change to take effect.

` + exitHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := r.open(cmd.Context(), nil)
			if err != nil {
				return err
			}
			return runEnable(a, r.g.configFile, on, cmd.OutOrStdout())
		},
	}
}

func runEnable(a *app.App, ini string, on bool, out io.Writer) error {
	props := a.Config.Commitlog.PropertiesFile
	if props == "" {
		paths, err := a.CommitlogPaths()
		if err != nil {
			return err
		}
		props = paths.PropertiesFile
	}
	p, err := commitlog.ReadProperties(props)
	if err != nil {
		return err
	}
	line := ""
	if on {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("commitlog enable: the path of this medusa binary: %w", err)
		}
		if exe, err = filepath.EvalSymlinks(exe); err != nil {
			return fmt.Errorf("commitlog enable: %w", err)
		}
		absINI, err := filepath.Abs(ini)
		if err != nil {
			return fmt.Errorf("commitlog enable: %w", err)
		}
		if line, err = app.ArchiveCommand(exe, absINI); err != nil {
			return usageError{fmt.Errorf("commitlog enable: %w", err)}
		}
	}
	if old, _ := p.Get(commitlog.KeyArchiveCommand); old == line {
		fmt.Fprintf(out, "%s already has %s=%s; nothing changed\n", props, commitlog.KeyArchiveCommand, line)
		return nil
	}
	p.Set(commitlog.KeyArchiveCommand, line)
	if _, ok := p.Get(commitlog.KeyPrecision); !ok {
		p.Set(commitlog.KeyPrecision, a.Config.Commitlog.Precision)
	}
	if err := p.Write(); err != nil {
		if errors.Is(err, os.ErrPermission) {
			return fmt.Errorf("%w (run as a user that may write Cassandra's configuration)", err)
		}
		return err
	}
	fmt.Fprintf(out, "Wrote %s=%s to %s\n", commitlog.KeyArchiveCommand, line, props)
	fmt.Fprintln(out, "Cassandra reads this file only at start: restart the node (a rolling restart for a cluster) to apply it.")
	if on && !a.Config.Commitlog.Enabled {
		fmt.Fprintf(out, "Also set commitlog_archiving = true in the [cassandra] section of %s so that backups sync the spool and record meta/pitr.json.\n", ini)
	}
	return nil
}
