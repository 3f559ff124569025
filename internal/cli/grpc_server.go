package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/medusa-go/medusa/internal/app"
	"github.com/medusa-go/medusa/internal/grpcserver"
	"github.com/medusa-go/medusa/internal/metrics"
)

// grpcServerFlags are the options of `medusa grpc-server`.
type grpcServerFlags struct {
	stateDir       string
	listen         string
	mappingDir     string
	restoreSeed    string
	storageTimeout time.Duration
}

// defaultStateDirName is the state directory under $MEDUSA_TMP_DIR (the
// data volume in a Kubernetes pod) or /var/lib/cassandra.
const defaultStateDirName = ".medusa-grpc"

// newGRPCServerCmd is `medusa grpc-server`: Medusa's gRPC API, as
// k8ssandra-operator drives it in the medusa sidecar.
func newGRPCServerCmd(r *root) *cobra.Command {
	var f grpcServerFlags
	cmd := &cobra.Command{
		Use:   "grpc-server",
		Short: "Serve Medusa's gRPC API (the k8ssandra-operator sidecar)",
		Long: `Serve Cassandra Medusa's gRPC API (service Medusa and grpc.health.v1) on all
interfaces, port [grpc] port (50051), until SIGTERM: the medusa sidecar of
k8ssandra-operator. Backups, listings, purges and restore preparation run the
same code as the backup, list-backups, purge, delete-backup and
restore-cluster commands, with this medusa.ini.

The state of every backup the server accepts is kept on disk in --state-dir
(default $MEDUSA_TMP_DIR/` + defaultStateDirName + `, else /var/lib/cassandra/` + defaultStateDirName + `),
so a server killed during a backup answers FAILED or SUCCESS for it after a
restart, never IN_PROGRESS forever. Calls that read storage give up after
--storage-timeout with an error (UNAVAILABLE), never an empty answer.
docs/kubernetes.md describes every rpc.

` + exitHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return r.runGRPCServer(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.stateDir, "state-dir", "", "directory of the server's operation state (default $MEDUSA_TMP_DIR/"+
		defaultStateDirName+", else /var/lib/cassandra/"+defaultStateDirName+")")
	fl.StringVar(&f.listen, "listen", "", "listen on this host:port instead of all interfaces on [grpc] port")
	fl.DurationVar(&f.storageTimeout, "storage-timeout", grpcserver.DefaultStorageTimeout,
		"longest wait for storage in a call that lists or reads backups")
	fl.StringVar(&f.mappingDir, "restore-mapping-dir", grpcserver.DefaultRestoreMappingDir,
		"directory where PrepareRestore writes <restore key>")
	fl.StringVar(&f.restoreSeed, "restore-seed", grpcserver.DefaultRestoreSeed,
		"node PrepareRestore reads the target cluster from over CQL")
	_ = fl.MarkHidden("restore-mapping-dir")
	_ = fl.MarkHidden("restore-seed")
	return cmd
}

func (r *root) runGRPCServer(cmd *cobra.Command, f grpcServerFlags) error {
	ctx := cmd.Context()
	if f.storageTimeout <= 0 {
		return usageError{fmt.Errorf("invalid value for --storage-timeout: %s is not positive", f.storageTimeout)}
	}
	a, err := r.open(ctx, nil)
	if err != nil {
		return err
	}
	if err := app.RecoverRestore(ctx, a.Config, r.logger, ""); err != nil {
		r.logger.Warn("grpc server: an interrupted restore could not be finished", "error", err)
	}
	svc, err := grpcserver.New(grpcserver.ConfigFromApp(a, grpcserver.Config{
		StateDir:          r.grpcStateDir(f.stateDir),
		LockDir:           r.tempDir(),
		RestoreMappingDir: f.mappingDir,
		RestoreSeed:       f.restoreSeed,
		StorageTimeout:    f.storageTimeout,
		Metrics: func(ms ...metrics.Metric) {
			metrics.SendAll(a.Config.Monitoring, r.getenv, r.logger, ms...)
		},
	}))
	if err != nil {
		return err
	}
	defer svc.Close(20 * time.Second)
	// On SIGTERM, cancel the running backup and the rpcs in flight at
	// once, so the graceful stop of the transport does not wait for them.
	defer context.AfterFunc(ctx, svc.Stop)()
	// /metrics on [monitoring] prometheus_listen, when set (docs/metrics.md).
	go func() {
		if err := metrics.ServeConfigured(ctx, a.Config.Monitoring, r.logger); err != nil {
			r.logger.Error("prometheus /metrics", "error", err)
		}
	}()
	// [cassandra] commitlog_sync_interval: drain the commit log spool (docs/pitr.md).
	defer startCommitlogSync(ctx, a, r.logger)()
	// A point-in-time restore of the init container: reset its settings
	// once Cassandra has replayed (docs/kubernetes.md).
	defer startPendingReplay(ctx, a, r.logger)()
	// A changed medusa.ini stops the server once it is idle (no backup, no
	// call in flight) and the command exits 0, so kubelet restarts the
	// sidecar with the new settings, as Medusa's image does.
	err = grpcserver.Serve(ctx, grpcserver.Options{GRPC: a.Config.GRPC, Addr: f.listen, Service: svc, Logger: r.logger,
		ConfigFile: r.g.configFile, Busy: svc.Busy})
	if errors.Is(err, grpcserver.ErrConfigChanged) {
		r.logger.Info("medusa.ini changed: exiting so that the container restarts with it", "file", r.g.configFile)
		return nil
	}
	return err
}

// grpcStateDir is --state-dir, else the default under $MEDUSA_TMP_DIR or
// /var/lib/cassandra.
func (r *root) grpcStateDir(flag string) string {
	if flag != "" {
		return flag
	}
	if d := r.getenv("MEDUSA_TMP_DIR"); d != "" {
		return filepath.Join(d, defaultStateDirName)
	}
	return filepath.Join("/var/lib/cassandra", defaultStateDirName)
}
