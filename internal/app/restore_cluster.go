package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/medusa-go/medusa/internal/cassandra"
	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/cluster"
	"github.com/medusa-go/medusa/internal/commitlog"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/restore"
)

// RestoreCluster restores a cluster backup over the executor ([ssh]):
// o carries the command's choices; the app adds the host list separator,
// sudo, the target cluster's seeds and the services. Node output and the
// plan go to out; confirm asks the user (nil: yes).
func (a *App) RestoreCluster(ctx context.Context, o cluster.RestoreOptions, confirm func(*cluster.Plan) (bool, error),
	out io.Writer) (*cluster.RestoreResult, error) {
	cfg := a.Config
	if o.SeedTarget == "" {
		o.SeedTarget = cfg.Storage.FQDN
	}
	o.HostListSeparator = cfg.Storage.HostFileSeparator
	o.Sudo = cfg.Cassandra.UseSudo
	cat, err := a.Catalog(ctx)
	if err != nil {
		return nil, err
	}
	defer cat.Backend.Close()
	d := cluster.RestoreDeps{
		Backups: backupNodes{cat},
		Targets: func(ctx context.Context, seed string) ([]cluster.Node, error) {
			t, err := a.Topology(ctx, seed)
			return t.Nodes, err
		},
		Seeds:   a.localSeeds(ctx),
		Confirm: confirm,
		Out:     out,
		Logger:  a.Logger,
		PlanPITR: func(ctx context.Context, fqdn, backup string, target time.Time, latest bool,
			skew time.Duration) (commitlog.RestorePlan, error) {
			np, err := restore.PlanPITR(ctx, restore.PlanPITRInput{Storage: cat.Backend, Prefix: cat.Prefix,
				FQDN: fqdn, Backup: backup, Target: target, Latest: latest, Skew: skew,
				Concurrency: cat.Concurrency, Logger: a.Logger})
			return np.RestorePlan, err
		},
	}
	exec, err := a.Executor()
	if err != nil {
		return nil, err
	}
	defer exec.Close()
	d.Exec = exec
	return cluster.Restore(ctx, d, o)
}

// localSeeds are the seeds of the local cassandra.yaml, named as the
// token map names nodes (an IP becomes its resolved name with
// resolve_ip_addresses). None when this host has no cassandra.yaml.
func (a *App) localSeeds(ctx context.Context) []string {
	nc, err := cassandra.ReadNodeConfig(a.Config.Cassandra.ConfigFile)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			a.Logger.Warn("cannot read the seeds of cassandra.yaml: the first target starts first", "error", err.Error())
		}
		return nil
	}
	name := func(ip string) string {
		return cassandra.HostName(ctx, nil, ip, a.Config.Cassandra.ResolveIPAddresses, a.Config.Kubernetes.Enabled)
	}
	var out []string
	for _, s := range nc.Seeds {
		if net.ParseIP(s) != nil {
			out = append(out, name(s))
			continue
		}
		// A seed given by name: the token map may name it by address.
		out = append(out, s)
		addrs, _ := net.DefaultResolver.LookupHost(ctx, s)
		for _, ip := range addrs {
			out = append(out, name(ip))
		}
	}
	return out
}

// backupNodes reads a cluster backup's token map and node sizes.
type backupNodes struct{ cat *catalog.Catalog }

func (b backupNodes) ClusterBackup(ctx context.Context, name string) ([]cluster.Node, map[string]int64, error) {
	cb, err := b.cat.ClusterBackup(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	if len(cb.Nodes) == 0 {
		return nil, nil, fmt.Errorf("backup %s does not exist (list-backups --show-all lists the backups)", name)
	}
	if err := b.cat.LoadDetails(ctx, []layout.ClusterBackup{cb}); err != nil {
		return nil, nil, err
	}
	finished := map[string]int64{}
	for _, n := range cb.CompleteNodes() {
		finished[n.FQDN] = n.Size
	}
	var nodes []cluster.Node
	if cb.Tokenmap != nil {
		for _, h := range cb.Tokenmap.Hosts {
			n := cluster.Node{Host: h.Host, Tokens: h.TokenStrings(), Up: h.IsUp == nil || *h.IsUp}
			if h.DC != nil {
				n.DC = *h.DC
			}
			if h.Rack != nil {
				n.Rack = *h.Rack
			}
			nodes = append(nodes, n)
		}
	}
	return nodes, finished, nil
}

// StopCassandra drains and stops the local node and waits until it is
// down (the hidden node-side command restore-cluster runs first).
func (a *App) StopCassandra(ctx context.Context, requireDrain bool) error {
	rs, err := a.OpenRestore(ctx)
	if err != nil {
		return err
	}
	defer rs.Close()
	return restore.StopNode(ctx, rs.Deps, restore.Waits{}, requireDrain)
}
