package testbed

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// Node is one test-bed Cassandra node. Every path is absolute; the scripts
// (StartCmd, StopCmd, NodetoolPath, SSTableLoaderPath) can be named in a
// medusa.ini as start_cmd, stop_cmd, nodetool_executable and sstableloader_bin.
type Node struct {
	Index int    // 1-based
	Dir   string // node directory: conf/, bin/, data/, commitlog/, logs/, ...
	Host  string // listen_address = rpc_address = 127.0.0.<FirstHost+Index-1>

	NativePort  int // CQL
	StoragePort int // internode
	JMXPort     int // JMX, bound on 127.0.0.1 only

	ConfigFile     string // conf/cassandra.yaml
	DataDir        string // the single data_file_directories entry
	CommitlogDir   string
	SavedCachesDir string
	HintsDir       string
	LogDir         string // system.log lives here
	PIDFile        string

	NodetoolPath      string // bin/nodetool
	SSTableLoaderPath string // bin/sstableloader
	StartCmd          string // bin/start: daemonizes, returns once CQL port is open
	StopCmd           string // bin/stop: SIGTERM, waits, SIGKILL after a grace

	// PasswordAuth: CQL needs CassandraUser/CassandraPassword.
	PasswordAuth bool

	startTimeout time.Duration
}

func (n *Node) setPaths() {
	n.ConfigFile = filepath.Join(n.Dir, "conf", "cassandra.yaml")
	n.DataDir = filepath.Join(n.Dir, "data")
	n.CommitlogDir = filepath.Join(n.Dir, "commitlog")
	n.SavedCachesDir = filepath.Join(n.Dir, "saved_caches")
	n.HintsDir = filepath.Join(n.Dir, "hints")
	n.LogDir = filepath.Join(n.Dir, "logs")
	n.PIDFile = filepath.Join(n.Dir, "cassandra.pid")
	n.NodetoolPath = filepath.Join(n.Dir, "bin", "nodetool")
	n.SSTableLoaderPath = filepath.Join(n.Dir, "bin", "sstableloader")
	n.StartCmd = filepath.Join(n.Dir, "bin", "start")
	n.StopCmd = filepath.Join(n.Dir, "bin", "stop")
}

// Start runs bin/start (which returns once the native port is open) and then
// waits until the node answers a CQL query.
func (n *Node) Start(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, n.startTimeout+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, n.StartCmd)
	cmd.Env = append(os.Environ(), fmt.Sprintf("CASSANDRA_START_TIMEOUT=%d", int(n.startTimeout.Seconds())))
	cmd.WaitDelay = 5 * time.Second
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("start cassandra node %d (%s): %w\n%s", n.Index, n.StartCmd, err, strings.TrimSpace(string(out)))
	}
	if err := n.WaitCQL(ctx); err != nil {
		return fmt.Errorf("start cassandra node %d: %w\n%s", n.Index, err, n.LogTail(30))
	}
	return nil
}

// Stop runs bin/stop, which returns once the process is gone.
func (n *Node) Stop(ctx context.Context) error {
	cmd := exec.CommandContext(ctx, n.StopCmd)
	cmd.WaitDelay = 5 * time.Second
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("stop cassandra node %d (%s): %w\n%s", n.Index, n.StopCmd, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Nodetool runs bin/nodetool with args against this node and returns its
// combined output; a non-zero exit is an error that includes the output.
func (n *Node) Nodetool(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, n.NodetoolPath, args...)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("nodetool %s on node %d: %w: %s", strings.Join(args, " "), n.Index, err,
			cassTail(strings.TrimSpace(string(out)), 20))
	}
	return string(out), nil
}

// PID returns the process id of the running node, or 0 when it is not running.
func (n *Node) PID() int {
	b, err := os.ReadFile(n.PIDFile)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	if syscall.Kill(pid, 0) != nil {
		return 0
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err == nil {
		if f := strings.Fields(string(stat)); len(f) > 2 && f[2] == "Z" {
			return 0
		}
	}
	return pid
}

// NewSession opens a CQL session to this node only (its address is the
// only contact point and host lookup is disabled); close it after use.
func (n *Node) NewSession(keyspace string) (*gocql.Session, error) {
	cfg := gocql.NewCluster(net.JoinHostPort(n.Host, strconv.Itoa(n.NativePort)))
	cfg.Keyspace = keyspace
	cfg.Timeout = 15 * time.Second
	cfg.ConnectTimeout = 10 * time.Second
	cfg.Consistency = gocql.One
	cfg.DisableInitialHostLookup = true
	cfg.HostFilter = gocql.WhiteListHostFilter(n.Host)
	cfg.ReconnectionPolicy = &gocql.ConstantReconnectionPolicy{MaxRetries: 1, Interval: time.Second}
	if n.PasswordAuth {
		cfg.Authenticator = gocql.PasswordAuthenticator{Username: CassandraUser, Password: CassandraPassword}
	}
	s, err := cfg.CreateSession()
	if err != nil {
		return nil, fmt.Errorf("cql session to node %d (%s:%d): %w", n.Index, n.Host, n.NativePort, err)
	}
	return s, nil
}

// ReleaseVersion queries system.local.release_version over CQL.
func (n *Node) ReleaseVersion(ctx context.Context) (string, error) {
	s, err := n.NewSession("")
	if err != nil {
		return "", err
	}
	defer s.Close()
	var v string
	if err := s.Query("SELECT release_version FROM system.local").ScanContext(ctx, &v); err != nil {
		return "", fmt.Errorf("cql query on node %d: %w", n.Index, err)
	}
	return v, nil
}

// WaitCQL polls the node until a CQL query answers, the node's start timeout
// passes or ctx ends.
func (n *Node) WaitCQL(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, n.startTimeout)
	defer cancel()
	for {
		_, err := n.ReleaseVersion(ctx)
		if err == nil {
			return nil
		}
		if n.PID() == 0 {
			return fmt.Errorf("node %d is not running: %w", n.Index, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for CQL on node %d: %w (last error: %v)", n.Index, ctx.Err(), err)
		case <-time.After(time.Second):
		}
	}
}

// LogTail returns the last lines of the node's system.log (and of the
// JVM's stdout/stderr file when it has content), for error reports.
func (n *Node) LogTail(lines int) string {
	var b strings.Builder
	for _, name := range []string{"stdout.log", "system.log"} {
		data, err := os.ReadFile(filepath.Join(n.LogDir, name))
		if err != nil || len(strings.TrimSpace(string(data))) == 0 {
			continue
		}
		fmt.Fprintf(&b, "--- tail of %s ---\n%s\n", filepath.Join(n.LogDir, name), cassTail(string(data), lines))
	}
	return b.String()
}
