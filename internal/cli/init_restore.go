package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/medusa-go/medusa/internal/app"
	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/k8s"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/progress"
	"github.com/medusa-go/medusa/internal/restore"
)

// newInitRestoreCmd is `medusa init-restore`: the restore init container
// of a Kubernetes pod (what the image runs for MEDUSA_MODE=RESTORE).
func newInitRestoreCmd(r *root) *cobra.Command {
	var lastDir string
	cmd := &cobra.Command{
		Use:   "init-restore",
		Short: "Restore this node from the backup the Kubernetes operator names (init container)",
		Long: `Run as the init container "medusa-restore" of a Cassandra pod managed by
k8ssandra-operator, before Cassandra starts. Everything comes from the
environment the operator sets:

  BACKUP_NAME      the backup to restore; empty: nothing to do
  RESTORE_KEY      the restore's key; empty: nothing to do
  RESTORE_MAPPING  {"in_place": bool, "host_map": {"<pod>": {"source": ["<host>"], "seed": bool}}}
                   absent: in place; with "in_place": false this pod
                   restores the backup of host_map[POD_NAME].source[0] and
                   takes its tokens (cassandra.yaml initial_token, num_tokens,
                   auto_bootstrap: false)
  POD_NAME         this pod's name
  MEDUSA_TMP_DIR   where the backup is downloaded (default /var/lib/cassandra)
  MEDUSA_RESTORE_PITR  (ours, set by the user) an RFC 3339 time or "latest":
                   restore in place to that point in time, BACKUP_NAME
                   being the base; Cassandra replays the archived commit
                   log at its start (docs/kubernetes.md, docs/pitr.md)

The restore happens once per RESTORE_KEY: the key is recorded in
<last-restore-dir>/.last-restore when it completed, and later starts of the
pod with the same key do nothing. A pod that is not in the mapping, or a
backup that is not in the bucket, is skipped (the key is recorded too).

The restore is restore-node's: every file is downloaded and checked before
the data directories are touched, the commit log and saved caches are
cleared, and a failure rolls back. Cassandra must not be running; medusa.ini
must have [kubernetes] enabled = 1.

Exit codes:
  0    restored, or nothing to do (no restore requested, already done,
       pod not in the mapping, backup not in the bucket)
  1    the restore failed; the key is not recorded and the pod's next start
       tries again (the error says whether the node's files are as before)
  2    configuration error: medusa.ini, or a RESTORE_MAPPING / POD_NAME
       that cannot be used, or a MEDUSA_RESTORE_PITR that is neither an
       RFC 3339 time nor "latest", or one given with a mapping that is not
       in place
  130  interrupted by SIGINT/SIGTERM`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return r.runInitRestore(cmd.Context(), lastDir) },
	}
	cmd.Flags().StringVar(&lastDir, "last-restore-dir", k8s.DefaultLastRestoreDir,
		"directory of .last-restore, the key of the last completed restore (on the data volume)")
	return cmd
}

func (r *root) runInitRestore(ctx context.Context, lastDir string) error {
	getenv := r.env.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	env := k8s.ReadEnv(getenv)
	logger, reporter := r.progressOutput()
	_, err := k8s.Run(ctx, k8s.Options{
		Env: env, LastRestoreDir: lastDir, Logger: logger,
		Settle: func(ctx context.Context, abandon bool) error {
			a, err := r.openAs(ctx, logger, "", getenv)
			if err != nil {
				return err
			}
			paths, err := a.CommitlogPaths()
			if err != nil {
				return err
			}
			_, err = restore.SettleReplay(paths.RestoreDir, abandon, logger)
			return err
		},
		Open: func(ctx context.Context, fqdn string) (k8s.Restorer, error) {
			a, err := r.openAs(ctx, logger, fqdn, getenv)
			if err != nil {
				return nil, err
			}
			return &initRestorer{a: a, rep: reporter, out: r.env.Stdout}, nil
		},
	})
	var ee *k8s.EnvError
	if errors.As(err, &ee) {
		return configError{err}
	}
	if err != nil {
		return fmt.Errorf("init-restore of backup %s: %w", env.BackupName, err)
	}
	return nil
}

// openAs loads medusa.ini like open, acting as node fqdn when it is set
// (as --fqdn and $POD_IP would: the mapping wins over both), and requires
// Kubernetes mode, in which Cassandra is neither stopped nor started.
func (r *root) openAs(ctx context.Context, logger *slog.Logger, fqdn string, getenv func(string) string) (*app.App, error) {
	ov := r.overrides()
	if fqdn != "" {
		ov.FQDN = &fqdn
		inner := getenv
		getenv = func(k string) string {
			if k == "POD_IP" {
				return fqdn
			}
			return inner(k)
		}
	}
	cfg, warnings, err := config.Load(ctx, r.g.configFile, ov, getenv)
	for _, w := range warnings {
		r.logger.Warn(w.String())
	}
	if err != nil {
		return nil, configError{err}
	}
	if !cfg.Kubernetes.Enabled {
		return nil, configError{fmt.Errorf("%s: init-restore runs in a Kubernetes init container, before Cassandra: "+
			"set [kubernetes] enabled = 1 (medusa then neither stops nor starts Cassandra)", r.g.configFile)}
	}
	a := app.New(cfg, logger)
	a.WrapStorage = r.env.WrapStorage
	return a, nil
}

// initRestorer is k8s.Restorer over the app: the catalog lists the
// backups, restore-node restores.
type initRestorer struct {
	a   *app.App
	rep progress.Reporter
	out io.Writer
}

func (i *initRestorer) Listed(ctx context.Context, name string) (bool, error) {
	cat, err := i.a.Catalog(ctx)
	if err != nil {
		return false, err
	}
	defer cat.Backend.Close()
	_, err = cat.ClusterBackup(ctx, name)
	if errors.Is(err, layout.ErrBackupNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (i *initRestorer) Restore(ctx context.Context, o restore.Options) error {
	if o.PITR != nil && i.a.Config.Commitlog.Enabled {
		// The segments Cassandra archived as it stopped are still in the
		// spool on the data volume (the sidecar stopped with it): upload
		// them first, so that the plan sees the newest writes.
		res, err := i.a.CommitlogSync(ctx, 0)
		if err != nil {
			i.a.Logger.Warn("Commit log sync before the point-in-time restore failed: segments still in the spool "+
				"are not used", "error", err.Error())
		} else {
			i.a.Logger.Info("Commit log sync before the point-in-time restore", "uploaded", res.Uploaded,
				"swept", res.Swept, "bytes", res.Bytes)
		}
	}
	res, err := i.a.Restore(ctx, o, i.rep)
	if err != nil {
		return err
	}
	return res.WriteText(i.out)
}

func (i *initRestorer) Close() {}
