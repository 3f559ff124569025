package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/medusa-go/medusa/internal/cassandra"
	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/restore"
)

// Restore is a restore wired to the local node: storage, the node's
// directories, its control (start_cmd, stop_cmd, nodetool drain, health
// check, CQL) and sstableloader, as medusa.ini and cassandra.yaml say.
type Restore struct {
	Deps restore.Deps
	// Paths are the node's directories and cassandra.yaml.
	Paths restore.NodePaths
	// SkipContentHash is set when the bucket's hashes are not content
	// MD5s ([storage] kms_id or sse_c_key).
	SkipContentHash bool
	// Kubernetes: medusa does not stop or start Cassandra.
	Kubernetes bool
	close      func()
}

// Close releases the storage and the CQL session.
func (r *Restore) Close() { r.close() }

// OpenRestore builds the restore of the local node. Storage is opened
// first, so a storage problem fails before Cassandra is looked at.
func OpenRestore(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*Restore, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	b, err := OpenStorage(ctx, cfg, logger)
	if err != nil {
		return nil, fmt.Errorf("open storage: %w", err)
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
			FS:      restore.WithFaults(restoreFS(cfg), os.Getenv),
			Logger:  logger,
		},
		Paths: restore.NodePaths{DataDir: nc.DataDir, CommitlogDir: nc.CommitlogDir,
			SavedCachesDir: nc.SavedCachesDir, ConfigFile: nc.Path},
		SkipContentHash: cfg.Storage.KMSID != "" || cfg.Storage.SSECKey != "",
		Kubernetes:      cfg.Kubernetes.Enabled,
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
