package testbed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DefaultCassandraVersion is the cassandra-all version the test bed runs
// unless CassandraOptions.Version says otherwise (newest 5.0.x on Maven Central).
const DefaultCassandraVersion = "5.0.9"

// CassandraOptions configures StartCluster. The zero value starts one node
// of DefaultCassandraVersion in a new temporary directory.
type CassandraOptions struct {
	// Nodes is the number of nodes, on 127.0.0.F .. 127.0.0.(F+N-1) where F
	// is FirstHost (default 1 node).
	Nodes int
	// FirstHost is the last byte of the first node's address (default 1):
	// a second cluster beside a running one on 127.0.0.1-3 uses e.g. 4 (and
	// another ClusterName). The first node is the seed.
	FirstHost int
	// Dir holds one sub-directory per node (node1, node2, ...). Empty means a
	// new directory under os.TempDir(), which Cluster.Stop does not remove.
	Dir string
	// Version of org.apache.cassandra:cassandra-all (default DefaultCassandraVersion).
	Version string
	// HeapMB is the maximum heap of each node in MiB (default 512).
	HeapMB int
	// ClusterName goes into cassandra.yaml (default "medusa-testbed").
	ClusterName string
	// NumTokens is num_tokens of every node (default 4).
	NumTokens int
	// CacheDir holds cassandra-<version>/lib (default
	// $MEDUSA_TESTBED_CACHE, else $HOME/.cache/medusa-testbed).
	CacheDir string
	// Fetch runs scripts/testbed/cassandra/fetch.sh when the jars are not in
	// CacheDir yet; without it a missing cache is an error.
	Fetch bool
	// PasswordAuth enables PasswordAuthenticator and CassandraAuthorizer; the
	// superuser is cassandra/cassandra (CassandraUser, CassandraPassword).
	PasswordAuth bool
	// ExtraYAML is appended verbatim to every node's cassandra.yaml.
	ExtraYAML string
	// CommitlogSegmentSize is cassandra.yaml's commitlog_segment_size
	// (default 8MiB; 1MiB, the minimum, gives many segments from few writes).
	CommitlogSegmentSize string
	// StartTimeout bounds the start of one node (default 5 minutes).
	StartTimeout time.Duration
	// Java is the java binary (default $JAVA_HOME/bin/java, else java on PATH).
	Java string
	// PrepareNode, when set, runs for every node once its files are laid
	// out and before it first starts (again for each new layout when a
	// start is retried on other ports): e.g. to write more files into its
	// conf/ directory, which is on Cassandra's classpath.
	PrepareNode func(n *Node) error
	// Logger receives progress messages (default: discarded).
	Logger *slog.Logger
}

// Superuser credentials of a cluster started with PasswordAuth (Cassandra's
// built-in default role).
const (
	CassandraUser     = "cassandra"
	CassandraPassword = "cassandra"
)

// Cluster is a set of running test-bed nodes; Nodes[0] is the seed.
type Cluster struct {
	Dir     string
	Version string
	LibDir  string
	Nodes   []*Node
	logger  *slog.Logger
}

func (o *CassandraOptions) setDefaults() error {
	if o.Nodes <= 0 {
		o.Nodes = 1
	}
	if o.FirstHost <= 0 {
		o.FirstHost = 1
	}
	if o.FirstHost+o.Nodes-1 > 200 {
		return fmt.Errorf("cassandra test bed: %d nodes from 127.0.0.%d requested, the last address allowed is 127.0.0.200",
			o.Nodes, o.FirstHost)
	}
	if o.Version == "" {
		o.Version = DefaultCassandraVersion
	}
	if o.HeapMB <= 0 {
		o.HeapMB = 512
	}
	if o.ClusterName == "" {
		o.ClusterName = "medusa-testbed"
	}
	if o.NumTokens <= 0 {
		o.NumTokens = 4
	}
	if o.CommitlogSegmentSize == "" {
		o.CommitlogSegmentSize = "8MiB"
	}
	if o.CacheDir == "" {
		o.CacheDir = CacheDir()
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 5 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Java == "" {
		java, err := cassFindJava()
		if err != nil {
			return err
		}
		o.Java = java
	}
	return nil
}

// StartCluster lays out opts.Nodes nodes (configuration, scripts, data
// directories) and starts them one after another; it returns once every node
// answers CQL and, with several nodes, node 1 sees all of them Up/Normal. On
// failure the nodes already started are stopped and the error carries the
// tail of the failing node's system.log. A port taken by another process
// between choosing and binding it makes it retry with new ports (3 attempts).
func StartCluster(ctx context.Context, opts CassandraOptions) (*Cluster, error) {
	var c *Cluster
	if err := cassStartFresh(ctx, opts, &c); err != nil {
		if c != nil {
			_ = c.Stop()
		}
		return nil, err
	}
	return c, nil
}

// cassStartFresh creates and starts a cluster, storing each cluster it
// creates in *cp so that the caller can stop it whatever happens.
func cassStartFresh(ctx context.Context, opts CassandraOptions, cp **Cluster) error {
	if err := opts.setDefaults(); err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		c, err := NewCluster(ctx, opts)
		if err != nil {
			return err
		}
		*cp = c
		err = c.Start(ctx)
		if err == nil || attempt == 3 || !cassBindError(err) {
			return err
		}
		opts.Logger.Warn("cassandra: a port was taken by another process, retrying with new ports", "attempt", attempt)
		if err := c.Stop(); err != nil {
			return err
		}
		for _, n := range c.Nodes {
			if err := os.RemoveAll(n.Dir); err != nil {
				return fmt.Errorf("cassandra test bed: %w", err)
			}
		}
	}
}

// cassBindError reports whether a start error (which carries the log tail)
// shows that a port could not be bound.
func cassBindError(err error) bool {
	msg := err.Error()
	for _, s := range []string{"Address already in use", "Port already in use", "Failed to bind", "in use by another process"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// NewCluster prepares the nodes of a cluster (files and free ports) without
// starting them; Start or each Node.Start does that.
func NewCluster(ctx context.Context, opts CassandraOptions) (*Cluster, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	lib, err := cassLibDir(ctx, opts)
	if err != nil {
		return nil, err
	}
	dir := opts.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "medusa-cassandra-"); err != nil {
			return nil, fmt.Errorf("cassandra test bed: %w", err)
		}
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, fmt.Errorf("cassandra test bed: %w", err)
	}
	hosts := make([]string, opts.Nodes)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("127.0.0.%d", opts.FirstHost+i)
	}
	ports, err := cassPickPorts(hosts, opts.Nodes)
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, Version: opts.Version, LibDir: lib, logger: opts.Logger}
	for i, host := range hosts {
		n := &Node{
			Index:        i + 1,
			Dir:          filepath.Join(dir, fmt.Sprintf("node%d", i+1)),
			Host:         host,
			StoragePort:  ports.storage,
			NativePort:   ports.native,
			JMXPort:      ports.jmx[i],
			PasswordAuth: opts.PasswordAuth,
			startTimeout: opts.StartTimeout,
		}
		n.setPaths()
		if err := n.writeFiles(opts, lib, hosts[0]); err != nil {
			return nil, err
		}
		if opts.PrepareNode != nil {
			if err := opts.PrepareNode(n); err != nil {
				return nil, fmt.Errorf("cassandra test bed: prepare node %d: %w", n.Index, err)
			}
		}
		c.Nodes = append(c.Nodes, n)
	}
	return c, nil
}

// Start starts every node that is not running, in order (Cassandra lets only
// one node join at a time), then waits until node 1 sees all nodes UN.
func (c *Cluster) Start(ctx context.Context) error {
	for _, n := range c.Nodes {
		began := time.Now()
		c.logger.Info("starting cassandra node", "node", n.Index, "host", n.Host, "native_port", n.NativePort, "jmx_port", n.JMXPort)
		if err := n.Start(ctx); err != nil {
			return err
		}
		c.logger.Info("cassandra node up", "node", n.Index, "took", time.Since(began).Round(time.Millisecond))
	}
	if len(c.Nodes) > 1 {
		return c.WaitAllUp(ctx)
	}
	return nil
}

// WaitAllUp polls `nodetool status` on node 1 until every node of the
// cluster is listed Up/Normal.
func (c *Cluster) WaitAllUp(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.Nodes[0].startTimeout)
	defer cancel()
	var out string
	var err error
	for {
		out, err = c.Nodes[0].Nodetool(ctx, "status")
		if err == nil && CountUN(out) == len(c.Nodes) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cassandra cluster: waiting for %d nodes UN: %w (last nodetool status: %v %s)",
				len(c.Nodes), ctx.Err(), err, strings.TrimSpace(out))
		case <-time.After(2 * time.Second):
		}
	}
}

// Stop stops every node (last one first) with its stop script, which
// escalates to SIGKILL after a grace period; it returns the joined errors.
// The directory is left in place.
func (c *Cluster) Stop() error {
	var errs []error
	for i := len(c.Nodes) - 1; i >= 0; i-- {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		if err := c.Nodes[i].Stop(ctx); err != nil {
			errs = append(errs, err)
		}
		cancel()
	}
	return errors.Join(errs...)
}

// CountUN counts the lines of `nodetool status` output that describe a node
// Up and Normal.
func CountUN(status string) int {
	n := 0
	for _, line := range strings.Split(status, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "UN ") {
			n++
		}
	}
	return n
}
