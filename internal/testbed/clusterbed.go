package testbed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/medusa-go/medusa/internal/commitlog"
)

// ClusterBedOptions configures StartClusterBed.
type ClusterBedOptions struct {
	// Dir holds everything of the bed (required): node<i>/ (Cassandra),
	// etc/node<i>/ (each node's /etc/medusa), tmp/node<i>/ (each node's
	// TMPDIR), ssh/, bin/, s3/ and orchestrator.ini.
	Dir string
	// Nodes is the number of Cassandra nodes (default 3), on
	// 127.0.0.FirstHost and the next addresses (FirstHost default 1).
	Nodes     int
	FirstHost int
	// ClusterName of cassandra.yaml (default "medusa-testbed"); a second
	// bed beside the shared one needs another.
	ClusterName string
	// NumTokens of every node (default 4).
	NumTokens int
	// S3 is the storage of every medusa.ini; nil starts a server of the
	// bed's own (in Dir/s3, stopped with the bed). Bucket defaults to
	// S3.Bucket; Prefix to none.
	S3     *S3Server
	Bucket string
	Prefix string
	// MedusaBin is the medusa binary on the nodes' PATH; empty builds one
	// into Dir/bin (BuildMedusa).
	MedusaBin string
	// ExtraINI adds keys to every node's medusa.ini and to the
	// orchestrator's: section -> key -> value.
	ExtraINI map[string]map[string]string
	// CommitlogArchiving starts every node with commit log archiving on
	// (docs/pitr.md), as `medusa commitlog enable` sets it: before a node's
	// first start, commitlog_archiving.properties in its conf/ directory
	// gets medusa's archive_command (the bed's binary and the node's own
	// medusa.ini), its segments are CommitlogSegmentSize, and every
	// medusa.ini sets [cassandra] commitlog_archiving = true (backups sync
	// the node's spool and record meta/pitr.json). Once the bed is up,
	// `medusa commitlog enable` on each node must find its line already
	// there. A segment Cassandra closes before the node's medusa.ini is
	// written stays in the commit log directory, where `commitlog sync`
	// sweeps it.
	CommitlogArchiving bool
	// CommitlogSegmentSize is every node's commitlog_segment_size
	// (default: 1MiB, the minimum, with CommitlogArchiving; else the
	// Cassandra bed's default).
	CommitlogSegmentSize string
	// Logger receives progress messages (default: discarded).
	Logger *slog.Logger
}

// ClusterBed is a cluster as Medusa's cluster commands see it: Cassandra
// nodes on their own loopback addresses, an S3 server, and one OpenSSH
// server per node address where a login lands with that node's own
// /etc/medusa/medusa.ini, a TMPDIR of its own and the medusa binary first on
// PATH. The orchestrator (the host running backup-cluster) is this process:
// OrchestratorIni points [cassandra] at node 1 and [ssh] at the servers.
type ClusterBed struct {
	Dir       string
	Cassandra *Cluster
	S3        *S3Server
	Bucket    string
	Prefix    string
	SSHD      *SSHD
	MedusaBin string

	ownS3       bool
	archiving   bool
	buildMedusa bool
	// archiveLines are the archive_command lines written before the
	// nodes' first start, by node index.
	archiveLines map[int]string
	extraINI     map[string]map[string]string
	pyMu         sync.Mutex
	py           *PyLogins // PythonLogins, once started
}

// StartClusterBed builds medusa (unless opts.MedusaBin is set) and starts
// the S3 server (unless opts.S3 is set) while the Cassandra nodes start,
// writes every medusa.ini and starts the sshds. On failure everything
// started is stopped.
func StartClusterBed(ctx context.Context, opts ClusterBedOptions) (*ClusterBed, error) {
	if opts.Dir == "" {
		return nil, errors.New("cluster test bed: ClusterBedOptions.Dir is required")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	if opts.Nodes <= 0 {
		opts.Nodes = 3
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	b := &ClusterBed{Dir: dir, S3: opts.S3, MedusaBin: opts.MedusaBin, Prefix: opts.Prefix,
		archiving: opts.CommitlogArchiving, extraINI: opts.ExtraINI}
	if err := sshdCheckHost(); err != nil { // before Cassandra's minute of start-up
		return nil, err
	}
	co := CassandraOptions{Nodes: opts.Nodes, FirstHost: opts.FirstHost, ClusterName: opts.ClusterName,
		NumTokens: opts.NumTokens, CommitlogSegmentSize: opts.CommitlogSegmentSize, Dir: dir, Fetch: true,
		Logger: opts.Logger}
	if opts.CommitlogArchiving {
		if err := b.prepareArchiving(&opts, &co); err != nil {
			return nil, fmt.Errorf("cluster test bed: %w", err)
		}
		b.extraINI = opts.ExtraINI // with commitlog_archiving = true
	}
	side := make(chan error, 1)
	go func() { side <- b.startSide(ctx, opts) }()
	b.Cassandra, err = StartCluster(ctx, co)
	if serr := <-side; err == nil {
		err = serr
	}
	if err == nil {
		err = b.startSSH(ctx, opts)
	}
	if err == nil && opts.CommitlogArchiving {
		err = b.checkArchiving(ctx)
	}
	if err != nil {
		_ = b.Stop()
		return nil, fmt.Errorf("cluster test bed: %w", err)
	}
	return b, nil
}

// prepareArchiving fixes the medusa binary's path (built there later
// unless given), adds commitlog_archiving = true to every medusa.ini and
// has each node's properties file written before its first start.
func (b *ClusterBed) prepareArchiving(opts *ClusterBedOptions, co *CassandraOptions) error {
	if b.MedusaBin == "" {
		bin := filepath.Join(b.Dir, "bin")
		if err := os.MkdirAll(bin, 0o755); err != nil {
			return err
		}
		b.MedusaBin = filepath.Join(bin, "medusa")
		b.buildMedusa = true
	}
	// The path `commitlog enable` would write: the binary's, symbolic
	// links resolved (the binary itself may not be built yet).
	dir, err := filepath.EvalSymlinks(filepath.Dir(b.MedusaBin))
	if err != nil {
		return fmt.Errorf("commit log archiving: %w", err)
	}
	exe := filepath.Join(dir, filepath.Base(b.MedusaBin))
	extra := map[string]map[string]string{}
	for sec, kv := range opts.ExtraINI {
		extra[sec] = maps.Clone(kv)
	}
	if extra["cassandra"] == nil {
		extra["cassandra"] = map[string]string{}
	}
	extra["cassandra"]["commitlog_archiving"] = "true"
	opts.ExtraINI = extra
	if co.CommitlogSegmentSize == "" {
		co.CommitlogSegmentSize = "1MiB"
	}
	b.archiveLines = map[int]string{}
	co.PrepareNode = func(n *Node) error {
		// As enable writes it from --config-file <the node's medusa.ini>
		// (checkArchiving compares).
		line := exe + " --config-file " + filepath.Join(b.etcDir(n.Index), "medusa.ini") + " commitlog archive %path %name"
		p, err := commitlog.ReadProperties(filepath.Join(n.Dir, "conf", commitlog.PropertiesFile))
		if err != nil {
			return err
		}
		p.Set(commitlog.KeyArchiveCommand, line)
		p.Set(commitlog.KeyPrecision, "MICROSECONDS")
		b.archiveLines[n.Index] = line
		return p.Write()
	}
	return nil
}

// checkArchiving runs `medusa commitlog enable` on every node: it must
// find the archive_command written before the node's first start (the
// same line, so the same properties file Cassandra read).
func (b *ClusterBed) checkArchiving(ctx context.Context) error {
	for _, n := range b.Cassandra.Nodes {
		out, stderr, err := b.MedusaOn(ctx, n.Index, "commitlog", "enable")
		if err != nil {
			return fmt.Errorf("medusa commitlog enable on node %d: %w\n%s%s", n.Index, err, out, stderr)
		}
		if !strings.Contains(out, "nothing changed") {
			return fmt.Errorf("node %d started with archive_command=%s in %s, but medusa commitlog enable changed it:\n%s",
				n.Index, b.archiveLines[n.Index], b.PropertiesFile(n.Index), out)
		}
	}
	return nil
}

// PropertiesFile is node i's commitlog_archiving.properties (in its conf/
// directory, on Cassandra's classpath; i 1-based).
func (b *ClusterBed) PropertiesFile(i int) string {
	return filepath.Join(b.Dir, fmt.Sprintf("node%d", i), "conf", commitlog.PropertiesFile)
}

// CommitlogArchiving reports whether the nodes run with commit log
// archiving on (ClusterBedOptions.CommitlogArchiving).
func (b *ClusterBed) CommitlogArchiving() bool { return b.archiving }

// startSide builds medusa and starts S3, as needed.
func (b *ClusterBed) startSide(ctx context.Context, opts ClusterBedOptions) error {
	if b.MedusaBin == "" || b.buildMedusa {
		bin, err := BuildMedusa(ctx, filepath.Join(b.Dir, "bin"))
		if err != nil {
			return err
		}
		b.MedusaBin = bin
	}
	if b.S3 == nil {
		s3, err := StartS3(ctx, filepath.Join(b.Dir, "s3"))
		if err != nil {
			return err
		}
		b.S3, b.ownS3 = s3, true
	}
	b.Bucket = opts.Bucket
	if b.Bucket == "" {
		b.Bucket = b.S3.Bucket
	}
	return nil
}

// startSSH writes every medusa.ini and starts the sshds.
func (b *ClusterBed) startSSH(ctx context.Context, opts ClusterBedOptions) error {
	so := SSHDOptions{Dir: filepath.Join(b.Dir, "ssh"), EtcMedusa: map[string]string{}, TmpDir: map[string]string{},
		PathDirs: []string{filepath.Dir(b.MedusaBin)}}
	for _, n := range b.Cassandra.Nodes {
		etc, tmp := b.etcDir(n.Index), b.TmpDir(n.Index)
		for _, d := range []string{etc, tmp} {
			if err := os.MkdirAll(d, 0o700); err != nil {
				return err
			}
		}
		if err := b.ini(n, opts.ExtraINI).Write(b.Ini(n.Index)); err != nil {
			return fmt.Errorf("medusa.ini of node %d: %w", n.Index, err)
		}
		so.Hosts = append(so.Hosts, n.Host)
		so.EtcMedusa[n.Host], so.TmpDir[n.Host] = etc, tmp
	}
	var err error
	if b.SSHD, err = StartSSHD(ctx, so); err != nil {
		return err
	}
	if err := os.MkdirAll(b.TmpDir(0), 0o700); err != nil {
		return err
	}
	extra := map[string]map[string]string{"ssh": {
		"username": b.SSHD.User, "key_file": b.SSHD.ClientKey, "port": strconv.Itoa(b.SSHD.Port),
		"known_hosts_file": b.SSHD.KnownHosts, "host_key_policy": "strict",
	}}
	for sec, kv := range opts.ExtraINI {
		for k, v := range kv {
			if extra[sec] == nil {
				extra[sec] = map[string]string{}
			}
			extra[sec][k] = v
		}
	}
	o := b.ini(b.Cassandra.Nodes[0], extra)
	o.KeyFile = filepath.Join(b.Dir, "orchestrator-s3-credentials")
	return o.Write(b.OrchestratorIni())
}

// ini is the medusa.ini of node n (its own paths, fqdn = its address).
func (b *ClusterBed) ini(n *Node, extra map[string]map[string]string) MedusaINI {
	return MedusaINI{S3: b.S3, KeyFile: filepath.Join(b.etcDir(n.Index), "medusa-s3-credentials"),
		User: b.S3.Restricted, Bucket: b.Bucket, Prefix: b.Prefix, Node: n, FQDN: n.Host, Extra: extra}
}

// Nodes are the Cassandra nodes; Nodes()[0] is node 1, the seed.
func (b *ClusterBed) Nodes() []*Node { return b.Cassandra.Nodes }

// Node returns node i (1-based, as Node.Index).
func (b *ClusterBed) Node(i int) *Node {
	if i < 1 || i > len(b.Cassandra.Nodes) {
		panic(fmt.Sprintf("cluster test bed: node %d asked, the bed has nodes 1..%d", i, len(b.Cassandra.Nodes)))
	}
	return b.Cassandra.Nodes[i-1]
}

// Hosts are the nodes' addresses, node 1 first.
func (b *ClusterBed) Hosts() []string {
	hosts := make([]string, len(b.Cassandra.Nodes))
	for i, n := range b.Cassandra.Nodes {
		hosts[i] = n.Host
	}
	return hosts
}

func (b *ClusterBed) etcDir(i int) string {
	return filepath.Join(b.Dir, "etc", fmt.Sprintf("node%d", i))
}

// Ini is the path, on this machine, of node i's medusa.ini (i 1-based, as
// Node.Index); a login on the node's address sees it at
// /etc/medusa/medusa.ini.
func (b *ClusterBed) Ini(i int) string { return filepath.Join(b.etcDir(b.Node(i).Index), "medusa.ini") }

// TmpDir is node i's TMPDIR (i 1-based); 0 is the orchestrator's.
func (b *ClusterBed) TmpDir(i int) string {
	if i == 0 {
		return filepath.Join(b.Dir, "tmp", "orchestrator")
	}
	return filepath.Join(b.Dir, "tmp", fmt.Sprintf("node%d", i))
}

// OrchestratorIni is the medusa.ini of the host that runs the cluster
// commands: [storage] as the nodes', [cassandra] of node 1, and [ssh] with
// the login user, the client key, the port and the known_hosts file.
func (b *ClusterBed) OrchestratorIni() string { return filepath.Join(b.Dir, "orchestrator.ini") }

// SSHPort is the port of every node's sshd.
func (b *ClusterBed) SSHPort() int { return b.SSHD.Port }

// KnownHosts is a known_hosts file naming every node's [address]:port.
func (b *ClusterBed) KnownHosts() string { return b.SSHD.KnownHosts }

// ClientKey is the private key that logs in to every node.
func (b *ClusterBed) ClientKey() string { return b.SSHD.ClientKey }

// Medusa runs the medusa binary with --config-file OrchestratorIni (and
// the orchestrator's TMPDIR) and returns its output; a non-zero exit is an
// *exec.ExitError.
func (b *ClusterBed) Medusa(ctx context.Context, args ...string) (stdout, stderr string, err error) {
	return b.run(ctx, b.OrchestratorIni(), b.TmpDir(0), args)
}

// MedusaOn runs medusa as node i would (its medusa.ini, its TMPDIR), on
// this machine without SSH.
func (b *ClusterBed) MedusaOn(ctx context.Context, i int, args ...string) (stdout, stderr string, err error) {
	return b.run(ctx, b.Ini(i), b.TmpDir(i), args)
}

func (b *ClusterBed) run(ctx context.Context, ini, tmp string, args []string) (string, string, error) {
	cmd := exec.CommandContext(ctx, b.MedusaBin, append([]string{"--config-file", ini}, args...)...)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	cmd.WaitDelay = 5 * time.Second
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// LogTails returns each node's Cassandra log tail and each sshd's (the
// Python logins' too, once started), for failure reports.
func (b *ClusterBed) LogTails(lines int) string {
	var s strings.Builder
	if b.Cassandra != nil {
		for _, n := range b.Cassandra.Nodes {
			fmt.Fprintf(&s, "cassandra node %d (%s):\n%s", n.Index, n.Host, n.LogTail(lines))
			if b.SSHD != nil {
				fmt.Fprintf(&s, "--- sshd on %s ---\n%s\n", n.Host, b.SSHD.LogTail(n.Host, lines))
			}
			b.pyMu.Lock()
			if b.py != nil {
				fmt.Fprintf(&s, "--- python login sshd on %s ---\n%s\n", n.Host, b.py.SSHD.LogTail(n.Host, lines))
			}
			b.pyMu.Unlock()
		}
	}
	return s.String()
}

// Stop stops the sshds (the Python logins' too), the Cassandra nodes and the bed's own S3 server;
// the directory stays.
func (b *ClusterBed) Stop() error {
	b.pyMu.Lock()
	if b.py != nil {
		b.py.SSHD.Stop()
	}
	b.pyMu.Unlock()
	if b.SSHD != nil {
		b.SSHD.Stop()
	}
	var err error
	if b.Cassandra != nil {
		err = b.Cassandra.Stop()
	}
	if b.ownS3 && b.S3 != nil {
		b.S3.Stop()
	}
	return err
}

// BuildMedusa builds ./cmd/medusa of the source tree this package comes
// from, with the release build tag (disable_grpc_modules), into dir/medusa.
func BuildMedusa(ctx context.Context, dir string) (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("build medusa: cannot locate the source tree (runtime.Caller)")
	}
	root := filepath.Join(filepath.Dir(file), "..", "..")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "medusa")
	cmd := exec.CommandContext(ctx, filepath.Join(runtime.GOROOT(), "bin", "go"), "build",
		"-tags", "disable_grpc_modules", "-o", bin, "./cmd/medusa")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build medusa (go build ./cmd/medusa in %s): %w\n%s", root, err, out)
	}
	return bin, nil
}
