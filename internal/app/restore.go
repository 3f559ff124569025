package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/medusa-go/medusa/internal/cassandra"
	"github.com/medusa-go/medusa/internal/commitlog"
	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/progress"
	"github.com/medusa-go/medusa/internal/restore"
)

// Restore is a restore wired to the local node: storage, the node's
// directories, its control (start_cmd, stop_cmd, nodetool drain, health
// check, CQL) and sstableloader, as medusa.ini and cassandra.yaml say.
type Restore struct {
	Deps restore.Deps
	// Paths are the node's directories and cassandra.yaml.
	Paths restore.NodePaths
	cfg   *config.Config
	close func()
}

// Close releases the storage and the CQL session.
func (r *Restore) Close() { r.close() }

// Options completes o, the command's choices (backup, mode, selection,
// seeds, temp dir, dry run), with what the configuration and the node say.
func (r *Restore) Options(o restore.Options) restore.Options {
	cfg := r.cfg
	o.FQDN, o.Prefix = cfg.Storage.FQDN, cfg.Storage.Prefix
	o.Concurrency = cfg.Storage.ConcurrentTransfers
	// In Kubernetes mode medusa does not stop or start Cassandra.
	o.ManageCassandra = !cfg.Kubernetes.Enabled
	o.SkipContentHash = skipContentHash(cfg.Storage)
	o.Node = r.Paths
	o.Checks = restore.Checks{Query: cfg.Checks.Query, ExpectedRows: cfg.Checks.ExpectedRows,
		ExpectedResult: cfg.Checks.ExpectedResult}
	if o.PITR != nil {
		p := *o.PITR
		cl := cfg.Commitlog
		p.Paths = commitlog.ResolvePaths(r.Paths.ConfigFile, r.Paths.CommitlogDir, cl.SpoolDir, cl.PropertiesFile,
			cl.RestoreDir)
		p.Precision = cl.Precision
		o.PITR = &p
	}
	return o
}

// Restore restores the local node from a backup (restore-node); o as for
// Restore.Options.
func (a *App) Restore(ctx context.Context, o restore.Options, rep progress.Reporter) (*restore.Result, error) {
	rs, err := a.OpenRestore(ctx)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	if err := a.refusePlainOnEncrypted(ctx, rs.Deps.Storage); err != nil {
		return nil, err
	}
	rs.Deps.Progress = rep
	if !o.DryRun {
		if err := RecoverRestore(ctx, a.Config, a.Logger, ""); err != nil {
			return nil, err
		}
	}
	return restore.Run(ctx, rs.Deps, rs.Options(o))
}

// Download fetches a backup of the node into a directory (download);
// Cassandra is not involved. o carries the command's choices.
func (a *App) Download(ctx context.Context, o restore.DownloadOptions, rep progress.Reporter) (*restore.Plan, error) {
	b, err := a.Storage(ctx)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	if err := a.refusePlainOnEncrypted(ctx, b); err != nil {
		return nil, err
	}
	if err := RecoverRestore(ctx, a.Config, a.Logger, o.Destination); err != nil {
		return nil, err
	}
	st := a.Config.Storage
	o.FQDN, o.Prefix = st.FQDN, st.Prefix
	o.Concurrency = st.ConcurrentTransfers
	o.SkipContentHash = skipContentHash(st)
	return restore.Download(ctx, restore.Deps{Storage: b, Logger: a.Logger, Progress: rep}, o)
}

// OpenRestore builds the restore of the local node. Storage is opened
// first, so a storage problem fails before Cassandra is looked at.
func (a *App) OpenRestore(ctx context.Context) (*Restore, error) {
	cfg, logger := a.Config, a.Logger
	b, err := a.Storage(ctx)
	if err != nil {
		return nil, err
	}
	cass, err := OpenCassandra(ctx, cfg, logger)
	if err != nil {
		b.Close()
		return nil, err
	}
	nc := cass.Node
	if err := cassandra.ValidateHealthMode(cfg.Checks.HealthCheck); err != nil {
		b.Close()
		cass.Close()
		return nil, err
	}
	node := &restoreNode{
		health:   cassandra.HealthCheckFor(nc, cfg.Checks.HealthCheck),
		svc:      cassandra.ServiceCommands{Start: cfg.Cassandra.StartCmd, Stop: cfg.Cassandra.StopCmd},
		nodetool: cassandra.Nodetool{Options: NodetoolOptions(cfg.Cassandra)},
		cql:      cass.CQL,
		dirs:     []string{nc.DataDir, nc.CommitlogDir},
	}
	node.cql.Backoff = cassandra.Backoff{Attempts: 3, Budget: cass.CQL.Backoff.Budget}
	r := &Restore{
		Deps: restore.Deps{
			Storage: b,
			Node:    node,
			Loader:  loaderFor(cfg, nc, logger),
			Schema:  schemaCreator{cql: node.cql},
			FS:      restore.WithFaults(restoreFS(cfg), os.Getenv),
			Logger:  logger,
		},
		Paths: restore.NodePaths{DataDir: nc.DataDir, CommitlogDir: nc.CommitlogDir,
			SavedCachesDir: nc.SavedCachesDir, ConfigFile: nc.Path, HintsDir: nc.HintsDir},
		cfg: cfg,
		close: func() {
			cass.Close()
			b.Close()
		},
	}
	return r, nil
}

// restoreFS picks how files are moved: through sudo when
// use_sudo_for_restore is set (never in Kubernetes mode, and not needed
// when medusa already runs as root), else directly.
func restoreFS(cfg *config.Config) restore.FS {
	if cfg.Storage.UseSudoForRestore && !cfg.Kubernetes.Enabled && os.Geteuid() != 0 {
		return restore.SudoFS{}
	}
	return restore.DirectFS{}
}

// loaderFor configures sstableloader against the local node: -d is its
// native transport address (rpc_address, else listen_address, else the
// host name; Medusa used the resolved fqdn).
func loaderFor(cfg *config.Config, nc *cassandra.NodeConfig, logger *slog.Logger) restore.Loader {
	host := nc.RPCAddress
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = nc.ListenAddress
	}
	if host == "" {
		host, _ = os.Hostname()
	}
	c := cfg.Cassandra
	return &sstableLoader{l: cassandra.SSTableLoader{
		Bin: c.SstableloaderBin, Host: host, ConfigFile: nc.Path,
		Username: c.CQLUsername, Password: c.CQLPassword,
		NativePort: nc.NativePort, StoragePort: nc.StoragePort,
		Truststore: c.SstableloaderTS, TruststorePassword: c.SstableloaderTSPW,
		Keystore: c.SstableloaderKS, KeystorePassword: c.SstableloaderKSPW,
	}, logger: logger}
}

type sstableLoader struct {
	l      cassandra.SSTableLoader
	logger *slog.Logger
}

func (s *sstableLoader) Load(ctx context.Context, dir string) error {
	s.logger.Debug("Running " + s.l.Redacted(dir))
	out, err := s.l.Load(ctx, dir)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line != "" {
			s.logger.Debug(line)
		}
	}
	return err
}

// schemaCreator creates a backup's schema over a new CQL session to the
// local node.
type schemaCreator struct{ cql cassandra.CQLOptions }

func (c schemaCreator) RecreateSchema(ctx context.Context, script string, dropped []layout.DroppedColumn,
	sel cassandra.SchemaSelection) (cassandra.SchemaResult, error) {
	s, err := cassandra.Connect(ctx, c.cql)
	if err != nil {
		return cassandra.SchemaResult{}, err
	}
	defer s.Close()
	return s.RecreateSchema(ctx, script, dropped, sel)
}

// restoreNode is restore.Node for the local node.
type restoreNode struct {
	health   cassandra.HealthCheck
	svc      cassandra.ServiceCommands
	nodetool cassandra.Nodetool
	cql      cassandra.CQLOptions
	dirs     []string
}

func (n *restoreNode) Up(ctx context.Context) bool {
	return n.health.Up(ctx) && n.health.NativeOpen(ctx)
}

func (n *restoreNode) Down(ctx context.Context) (bool, string) {
	if !n.health.Down(ctx) {
		return false, "its ports still accept connections"
	}
	if pids, ok := cassandra.ProcessesUsing(n.dirs...); ok && len(pids) > 0 {
		return false, fmt.Sprintf("process %v still holds files in %s", pids, strings.Join(n.dirs, " or "))
	}
	return true, ""
}

func (n *restoreNode) SeedUp(ctx context.Context, host string) bool { return n.health.UpAt(ctx, host) }

func (n *restoreNode) Drain(ctx context.Context) error {
	_, err := n.nodetool.Run(ctx, "drain")
	return err
}

func (n *restoreNode) Stop(ctx context.Context) error  { return n.svc.StopNode(ctx) }
func (n *restoreNode) Start(ctx context.Context) error { return n.svc.StartNode(ctx) }

// Query opens a new CQL session (the node was restarted since any
// earlier one) and runs stmt.
func (n *restoreNode) Query(ctx context.Context, stmt string) (int, []string, error) {
	s, err := cassandra.Connect(ctx, n.cql)
	if err != nil {
		return 0, nil, err
	}
	defer s.Close()
	res, err := s.CheckQuery(ctx, stmt)
	return res.Rows, res.First, err
}
