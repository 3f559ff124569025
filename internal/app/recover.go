package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/medusa-go/medusa/internal/cassandra"
	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/restore"
)

// RecoverRestore finishes a restore of the local node that was
// interrupted (see restore.Recover) and logs in one message what it did.
// The commands that touch the node call it first (restore-node, backup,
// and the gRPC server as it starts). With under set (download), it acts
// only when under is inside one of the node's directories, and a node
// configuration that cannot be read is not an error.
func RecoverRestore(ctx context.Context, cfg *config.Config, logger *slog.Logger, under string) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	nc, err := cassandra.ReadNodeConfig(cfg.Cassandra.ConfigFile)
	if err != nil {
		if under != "" {
			return nil
		}
		return err
	}
	paths := restore.NodePaths{DataDir: nc.DataDir, CommitlogDir: nc.CommitlogDir,
		SavedCachesDir: nc.SavedCachesDir, ConfigFile: nc.Path, HintsDir: nc.HintsDir}
	if (under != "" && !inside(under, paths)) || !restore.Pending(paths) {
		return nil
	}
	if err := cassandra.ValidateHealthMode(cfg.Checks.HealthCheck); err != nil {
		return err
	}
	node := &restoreNode{
		health:   cassandra.HealthCheckFor(nc, cfg.Checks.HealthCheck),
		svc:      cassandra.ServiceCommands{Start: cfg.Cassandra.StartCmd, Stop: cfg.Cassandra.StopCmd},
		nodetool: cassandra.Nodetool{Options: NodetoolOptions(cfg.Cassandra)},
		cql:      CQLOptions(cfg, nc, logger),
		dirs:     []string{nc.DataDir, nc.CommitlogDir},
	}
	node.cql.Backoff = cassandra.Backoff{Attempts: 3}
	out, err := restore.Recover(ctx, restore.Deps{Node: node, FS: restoreFS(cfg), Logger: logger},
		restore.RecoverOptions{Node: paths, ManageCassandra: !cfg.Kubernetes.Enabled})
	if msg := out.Message(); msg != "" {
		logger.Warn("Recovery: " + msg)
	}
	if err != nil {
		return fmt.Errorf("finish an interrupted restore: %w", err)
	}
	return nil
}

// inside reports whether path is one of the node's directories or below.
func inside(path string, n restore.NodePaths) bool {
	abs, err := filepath.Abs(path)
	if err != nil {
		return false
	}
	for _, d := range []string{n.DataDir, n.CommitlogDir, n.SavedCachesDir} {
		if d != "" && (abs == d || strings.HasPrefix(abs, strings.TrimSuffix(d, string(os.PathSeparator))+string(os.PathSeparator))) {
			return true
		}
	}
	return false
}
