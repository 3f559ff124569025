package testbed

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"
)

// SharedSetup describes the one Cassandra node a test binary shares.
type SharedSetup struct {
	// Name names the node's temporary directory (medusa-cassandra-<Name>-*).
	Name string
	// Options returns the node's options; dir is the directory the node
	// lives in (Options may write files there first, e.g. certificates).
	// Nil means a default single node.
	Options func(dir string) (CassandraOptions, error)
	// Ready prepares the node once it is up (schema, rows); nil means
	// nothing to prepare.
	Ready func(ctx context.Context, n *Node) error
	// Cleanup, when set, runs once the tests are done (before the node
	// stops), e.g. to remove what the package built for its tests.
	Cleanup func()
}

// shared is the node of this test binary, started by the first SharedNode.
var shared struct {
	once  sync.Once
	setup SharedSetup
	dir   string
	c     *Cluster
	err   error
}

// Shared runs a package's tests with one Cassandra node shared by all of
// them, and exits with their result; call it from TestMain:
//
//	func TestMain(m *testing.M) { testbed.Shared(m, testbed.SharedSetup{Name: "backup"}) }
//
// The node starts only when a test first calls SharedNode, so a run with
// -short (or of tests that need no node) starts nothing. When the tests end
// the node is stopped; its directory is removed if every test passed and
// kept (and named on stderr) otherwise.
func Shared(m *testing.M, setup SharedSetup) {
	shared.setup = setup
	code := m.Run()
	if setup.Cleanup != nil {
		setup.Cleanup()
	}
	stopSharedCluster(code != 0)
	if shared.c != nil {
		if err := shared.c.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stop cassandra test bed: %v\n", err)
		}
	}
	if shared.dir != "" && code == 0 {
		_ = os.RemoveAll(shared.dir)
	} else if shared.dir != "" {
		fmt.Fprintf(os.Stderr, "cassandra test bed kept in %s\n", shared.dir)
	}
	os.Exit(code)
}

// SharedNode returns the binary's shared node, starting it on first use
// (TestMain must call Shared). Under `go test -short` the test is skipped;
// otherwise a node that cannot start fails the test with the reason, and so
// does every later test that asks for it.
func SharedNode(t testing.TB) *Node {
	t.Helper()
	if testing.Short() {
		t.Skip("needs Apache Cassandra (Java 17 + Maven jars); run without -short")
	}
	shared.once.Do(startShared)
	if shared.err != nil {
		t.Fatalf("cassandra test bed: %v", shared.err)
	}
	return shared.c.Nodes[0]
}

// startShared starts the shared node and prepares it; the error is kept
// for every test that asks for the node.
func startShared() {
	s := shared.setup
	name := s.Name
	if name == "" {
		name = "shared"
	}
	began := time.Now()
	if shared.dir, shared.err = os.MkdirTemp("", "medusa-cassandra-"+name+"-"); shared.err != nil {
		return
	}
	var o CassandraOptions
	if s.Options != nil {
		if o, shared.err = s.Options(shared.dir); shared.err != nil {
			shared.err = fmt.Errorf("options: %w", shared.err)
			return
		}
	}
	o.Dir, o.Fetch = shared.dir, true
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if shared.c, shared.err = StartCluster(ctx, o); shared.err != nil {
		return
	}
	if s.Ready != nil {
		if err := s.Ready(ctx, shared.c.Nodes[0]); err != nil {
			shared.err = fmt.Errorf("prepare the node: %w (log tail:\n%s)", err, shared.c.Nodes[0].LogTail(20))
			return
		}
	}
	fmt.Fprintf(os.Stderr, "%s: cassandra %s up in %s (%s)\n", name, shared.c.Version,
		time.Since(began).Round(time.Millisecond), shared.dir)
}

// FixtureReady is a SharedSetup.Ready that loads the fixture schema
// (CreateFixtureSchema) and, when rows > 0, writes fixture rows 0..rows-1
// and flushes them into SSTables.
func FixtureReady(rows int) func(ctx context.Context, n *Node) error {
	return func(ctx context.Context, n *Node) error {
		s, err := n.NewSession("")
		if err != nil {
			return err
		}
		defer s.Close()
		if err := CreateFixtureSchema(ctx, s); err != nil {
			return err
		}
		if rows == 0 {
			return nil
		}
		if err := WriteRowsFrom(ctx, s, 0, rows); err != nil {
			return err
		}
		_, err = n.Nodetool(ctx, "flush")
		return err
	}
}

// ClusterSetup describes the cluster bed a test binary shares
// (SharedCluster).
type ClusterSetup struct {
	// Name names the bed's temporary directory (medusa-cluster-<Name>-*).
	Name string
	// Options of the bed; Dir is set by SharedCluster. The zero value is
	// 3 nodes on 127.0.0.1-3 with their own S3 server.
	Options ClusterBedOptions
	// Ready prepares the bed once it is up (schema, rows); nil: nothing.
	Ready func(ctx context.Context, b *ClusterBed) error
}

// sharedCluster is the cluster bed of this test binary.
var sharedCluster struct {
	once  sync.Once
	setup ClusterSetup
	dir   string
	b     *ClusterBed
	err   error
}

// SharedClusterMain runs a package's tests with one cluster bed shared by
// all of them (started by the first SharedCluster) and exits with their
// result; call it from TestMain:
//
//	func TestMain(m *testing.M) { testbed.SharedClusterMain(m, testbed.ClusterSetup{Name: "cluster"}) }
//
// The bed is stopped when the tests end; its directory is removed if every
// test passed and kept (and named on stderr) otherwise.
func SharedClusterMain(m *testing.M, setup ClusterSetup) {
	sharedCluster.setup = setup
	Shared(m, SharedSetup{})
}

// stopSharedCluster stops the cluster bed, if one started; keep says
// whether to keep its directory.
func stopSharedCluster(keep bool) {
	if sharedCluster.b != nil {
		if err := sharedCluster.b.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stop cluster test bed: %v\n", err)
		}
	}
	if sharedCluster.dir != "" && !keep {
		_ = os.RemoveAll(sharedCluster.dir)
	} else if sharedCluster.dir != "" {
		fmt.Fprintf(os.Stderr, "cluster test bed kept in %s\n", sharedCluster.dir)
	}
}

// SharedCluster returns the binary's shared cluster bed, starting it on
// first use (TestMain must call SharedClusterMain, or Shared). Under
// `go test -short` the test is skipped; otherwise a bed that cannot start
// fails the test with the reason, and so does every later test that asks.
func SharedCluster(t testing.TB) *ClusterBed {
	t.Helper()
	if testing.Short() {
		t.Skip("needs Apache Cassandra, an S3 server and OpenSSH's sshd (a 3-node cluster bed); run without -short")
	}
	sharedCluster.once.Do(startSharedCluster)
	if sharedCluster.err != nil {
		t.Fatalf("cluster test bed: %v", sharedCluster.err)
	}
	return sharedCluster.b
}

func startSharedCluster() {
	s := sharedCluster.setup
	name := s.Name
	if name == "" {
		name = "shared"
	}
	began := time.Now()
	if sharedCluster.dir, sharedCluster.err = os.MkdirTemp("", "medusa-cluster-"+name+"-"); sharedCluster.err != nil {
		return
	}
	o := s.Options
	o.Dir = sharedCluster.dir
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	if sharedCluster.b, sharedCluster.err = StartClusterBed(ctx, o); sharedCluster.err != nil {
		return
	}
	if s.Ready != nil {
		if err := s.Ready(ctx, sharedCluster.b); err != nil {
			sharedCluster.err = fmt.Errorf("prepare the cluster: %w\n%s", err, sharedCluster.b.LogTails(20))
			return
		}
	}
	fmt.Fprintf(os.Stderr, "%s: cluster bed (%d cassandra %s nodes, S3, sshd on port %d) up in %s (%s)\n", name,
		len(sharedCluster.b.Nodes()), sharedCluster.b.Cassandra.Version, sharedCluster.b.SSHPort(),
		time.Since(began).Round(time.Millisecond), sharedCluster.dir)
}

// ClusterBedT starts a cluster bed for one test (e.g. a restore target
// beside the shared bed: opts.FirstHost 4, another ClusterName, the shared
// bed's S3 and MedusaBin) in t.TempDir() unless opts.Dir is set, and stops
// it when the test ends (logging the nodes' and sshds' log tails if the
// test failed). Skips under -short; a bed that cannot start fails the test.
func ClusterBedT(t testing.TB, opts ClusterBedOptions) *ClusterBed {
	t.Helper()
	if testing.Short() {
		t.Skip("needs Apache Cassandra, an S3 server and OpenSSH's sshd (a cluster bed); run without -short")
	}
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	began := time.Now()
	b, err := StartClusterBed(t.Context(), opts)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("cluster bed %s:\n%s", b.Dir, b.LogTails(40))
		}
		if err := b.Stop(); err != nil {
			t.Errorf("cluster test bed: stop: %v", err)
		}
	})
	t.Logf("cluster bed: %d node(s) from %s up in %s", len(b.Nodes()), b.Hosts()[0], time.Since(began).Round(time.Millisecond))
	return b
}
