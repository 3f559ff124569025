package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/medusa-go/medusa/internal/cassandra"
	"github.com/medusa-go/medusa/internal/cluster"
)

// Topology connects over CQL to seed (host or host:port; "" means
// [storage] fqdn) with the credentials and TLS settings of [cassandra],
// and returns every node of every datacenter, named as tokenmap.json
// names them ([cassandra] resolve_ip_addresses). The native port, when
// seed has none, is the one of the local cassandra.yaml if this host has
// one, else 9042 (9142 with client TLS: see cassandra.ReadNodeConfig).
func (a *App) Topology(ctx context.Context, seed string) (cluster.Topology, error) {
	cfg := a.Config
	if seed == "" {
		seed = cfg.Storage.FQDN
	}
	nc, err := cassandra.ReadNodeConfig(cfg.Cassandra.ConfigFile)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			return cluster.Topology{}, err
		}
		nc = &cassandra.NodeConfig{} // the orchestrator need not run Cassandra
	}
	opts := CQLOptions(cfg, nc, a.Logger)
	opts.Host, opts.ConfigFile, opts.Remote = seed, "", true
	if h, p, err := net.SplitHostPort(seed); err == nil {
		port, perr := strconv.Atoi(p)
		if perr != nil || port <= 0 {
			return cluster.Topology{}, fmt.Errorf("seed target %q: the port is not a number", seed)
		}
		opts.Host, opts.Port = h, port
	}
	opts.Backoff = cassandra.Backoff{Attempts: 2, Initial: 2 * time.Second, Max: 2 * time.Second, Budget: 2 * time.Second}
	s, err := cassandra.Connect(ctx, opts)
	if err != nil {
		return cluster.Topology{}, fmt.Errorf("connect to the seed target %s over CQL (use --seed-target to pick another node): %w", seed, err)
	}
	defer s.Close()
	k8s := cfg.Kubernetes.Enabled
	name := func(ctx context.Context, ip string) string {
		return cassandra.HostName(ctx, nil, ip, cfg.Cassandra.ResolveIPAddresses, k8s)
	}
	return cluster.Discover(ctx, seed, s, name)
}

// BackupCluster backs up every node of the cluster from this host
// (backup-cluster): the topology is read over CQL from seed ("" means
// [storage] fqdn), node commands run through Executor, and the bucket of
// this host's medusa.ini is where every node must write. Node commands
// run with sudo per [cassandra] use_sudo. onPlan (optional) gets the plan
// once every node passed the checks, before anything changes; the caller
// renders the result.
func (a *App) BackupCluster(ctx context.Context, seed, version string, o cluster.BackupOptions, out io.Writer, onPlan func(*cluster.BackupResult)) (*cluster.BackupResult, error) {
	cfg := a.Config
	ex, err := a.Executor()
	if err != nil {
		return nil, err
	}
	defer ex.Close()
	cat, err := a.Catalog(ctx)
	if err != nil {
		return nil, err
	}
	defer cat.Backend.Close()
	o.Sudo = cfg.Cassandra.UseSudo && !cfg.Kubernetes.Enabled
	return cluster.BackupCluster(ctx, cluster.BackupDeps{
		Exec:     ex,
		Catalog:  cat,
		Discover: func(ctx context.Context) (cluster.Topology, error) { return a.Topology(ctx, seed) },
		Storage:  a.NodeInfo(version, ""),
		Out:      out,
		OnPlan:   onPlan,
		Logger:   a.Logger,
	}, o)
}
