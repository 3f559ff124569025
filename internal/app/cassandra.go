package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/medusa-go/medusa/internal/cassandra"
	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/layout"
)

// Cassandra is the local node as [cassandra] and cassandra.yaml describe
// it: its configuration and a CQL session. It provides what a node backup
// needs (schema, token map, server version and the snapshot directories).
type Cassandra struct {
	// Node is cassandra.yaml as medusa reads it.
	Node *cassandra.NodeConfig
	// CQL are the session options (listen_address, native port,
	// credentials, TLS). Set CQL.Backoff before the first query to change
	// how connecting is retried (default: Medusa's 7 tries, 10 s to 2 min
	// apart); callers that retry whole requests themselves use 1 try.
	CQL cassandra.CQLOptions

	resolveIPs bool
	mu         sync.Mutex
	session    *cassandra.Session
}

// OpenCassandra reads cassandra.yaml ([cassandra] config_file). The CQL
// session is opened on first use, so commands can fail fast on storage
// problems before waiting for CQL. Close the result.
func OpenCassandra(_ context.Context, cfg *config.Config, logger *slog.Logger) (*Cassandra, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	nc, err := cassandra.ReadNodeConfig(cfg.Cassandra.ConfigFile)
	if err != nil {
		return nil, err
	}
	return &Cassandra{Node: nc, CQL: CQLOptions(cfg, nc, logger),
		resolveIPs: cfg.Cassandra.ResolveIPAddresses}, nil
}

// Session returns the CQL session, connecting on first use.
func (c *Cassandra) Session(ctx context.Context) (*cassandra.Session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.session == nil {
		s, err := cassandra.Connect(ctx, c.CQL)
		if err != nil {
			return nil, err
		}
		c.session = s
	}
	return c.session, nil
}

// CQLOptions maps [cassandra] and cassandra.yaml to the CQL session
// options: contact point listen_address and the native port (TLS port when
// client encryption is on), cql_username/cql_password, certfile (CA),
// usercert/userkey (client certificate).
func CQLOptions(cfg *config.Config, nc *cassandra.NodeConfig, logger *slog.Logger) cassandra.CQLOptions {
	o := cassandra.CQLOptionsFor(nc)
	c := cfg.Cassandra
	o.Username, o.Password = c.CQLUsername, c.CQLPassword
	o.CAFile, o.CertFile, o.KeyFile = c.Certfile, c.Usercert, c.Userkey
	o.Kubernetes = cfg.Kubernetes.Enabled
	if o.Kubernetes {
		// The node's files are stored under its fqdn (the pod name): its
		// token map entry must carry the same name.
		o.LocalName = cfg.Storage.FQDN
	}
	o.Logger = logger
	o.Backoff.Budget = time.Duration(c.CQLRetrySeconds) * time.Second
	return o
}

// NodetoolOptions maps the nodetool_* settings of [cassandra].
func NodetoolOptions(c config.Cassandra) cassandra.NodetoolOptions {
	return cassandra.NodetoolOptions{
		Executable:   c.NodetoolExecutable,
		Flags:        c.NodetoolFlagList(),
		SSL:          c.NodetoolSSL,
		Username:     c.NodetoolUsername,
		Password:     c.NodetoolPassword,
		PasswordFile: c.NodetoolPasswordFilePath,
		Host:         c.NodetoolHost,
		Port:         c.NodetoolPort,
	}
}

// cassandraBackoffOnce connects once: for callers that retry whole
// requests themselves.
var cassandraBackoffOnce = cassandra.Backoff{Attempts: 1}

// Snapshotter picks how snapshots are taken, as Medusa does: in Kubernetes
// mode the management API (use_mgmt_api) or Jolokia at cassandra_url,
// which must then be set; otherwise nodetool. Medusa's ccm test mode
// (is_ccm) is not supported.
func Snapshotter(cfg *config.Config) (cassandra.Snapshotter, error) {
	if cfg.Cassandra.IsCCM {
		return nil, errors.New("[cassandra] is_ccm = 1 is not supported: point nodetool_executable at the node's nodetool instead")
	}
	k := cfg.Kubernetes
	s, err := cassandra.NewSnapshotter(cassandra.SnapshotOptions{
		Kubernetes: k.Enabled, CassandraURL: k.CassandraURL, UseMgmtAPI: k.UseMgmtAPI,
		MgmtAPITLS: cassandra.MgmtAPITLS{CACert: k.CACert, TLSCert: k.TLSCert, TLSKey: k.TLSKey},
		Nodetool:   NodetoolOptions(cfg.Cassandra),
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Close ends the CQL session, if one was opened.
func (c *Cassandra) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.session != nil {
		c.session.Close()
		c.session = nil
	}
}

// SchemaCQL is the schema Medusa stores in meta/schema.cql.
func (c *Cassandra) SchemaCQL(ctx context.Context) (string, error) {
	s, err := c.Session(ctx)
	if err != nil {
		return "", err
	}
	return s.SchemaCQL(ctx)
}

// DroppedColumns are the columns dropped from the node's tables
// (system_schema.dropped_columns), stored as meta/dropped_columns.json.
func (c *Cassandra) DroppedColumns(ctx context.Context) ([]layout.DroppedColumn, error) {
	s, err := c.Session(ctx)
	if err != nil {
		return nil, err
	}
	return s.DroppedColumns(ctx)
}

// TokenMap is the token map of the node's datacenter, hosts named as
// [cassandra] resolve_ip_addresses says.
func (c *Cassandra) TokenMap(ctx context.Context) (layout.Tokenmap, error) {
	s, err := c.Session(ctx)
	if err != nil {
		return layout.Tokenmap{}, err
	}
	return s.TokenMap(ctx, nil, c.resolveIPs)
}

// ServerVersion is the node's server type and release version.
func (c *Cassandra) ServerVersion(ctx context.Context) (layout.ServerVersion, error) {
	s, err := c.Session(ctx)
	if err != nil {
		return layout.ServerVersion{}, err
	}
	return s.ServerVersion(ctx)
}

// FindSnapshot lists the table directories of snapshot tag in the node's
// data directory.
func (c *Cassandra) FindSnapshot(_ context.Context, tag string) ([]cassandra.TableSnapshot, error) {
	return cassandra.FindSnapshot(c.Node.DataDir, tag)
}

// LiveHosts are the names of the cluster's nodes in every datacenter, read
// over CQL from the local node and named as tokenmap.json names them
// ([cassandra] resolve_ip_addresses).
func (a *App) LiveHosts(ctx context.Context) ([]string, error) {
	cass, err := OpenCassandra(ctx, a.Config, a.Logger)
	if err != nil {
		return nil, err
	}
	defer cass.Close()
	s, err := cass.Session(ctx)
	if err != nil {
		return nil, err
	}
	names, err := s.ClusterHostNames(ctx, nil, a.Config.Cassandra.ResolveIPAddresses)
	if err != nil {
		return nil, fmt.Errorf("list the cluster's nodes: %w", err)
	}
	return names, nil
}
