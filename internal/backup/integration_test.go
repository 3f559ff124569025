package backup_test

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/backup"
	"github.com/medusa-go/medusa/internal/cassandra"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/testbed"
)

// One Cassandra node serves every integration test of the package: the
// first test that needs it starts it, TestMain stops it.
var bed struct {
	once sync.Once
	dir  string
	c    *testbed.Cluster
	err  error
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if bed.c != nil {
		if err := bed.c.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stop cassandra test bed: %v\n", err)
		}
	}
	if bed.dir != "" && code == 0 {
		_ = os.RemoveAll(bed.dir)
	} else if bed.dir != "" {
		fmt.Fprintf(os.Stderr, "cassandra test bed kept in %s\n", bed.dir)
	}
	os.Exit(code)
}

// testNode returns the shared node with the fixture schema loaded,
// starting it on first use. Under -short the test is skipped; a node that
// cannot start fails the test.
func testNode(t *testing.T) *testbed.Node {
	t.Helper()
	if testing.Short() {
		t.Skip("needs Apache Cassandra (Java 17 + Maven jars); run without -short")
	}
	bed.once.Do(startBed)
	if bed.err != nil {
		t.Fatalf("cassandra test bed: %v", bed.err)
	}
	return bed.c.Nodes[0]
}

func startBed() {
	if bed.dir, bed.err = os.MkdirTemp("", "medusa-cassandra-backup-"); bed.err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	bed.c, bed.err = testbed.StartCluster(ctx, testbed.CassandraOptions{
		Dir: bed.dir, Fetch: true,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if bed.err != nil {
		return
	}
	n := bed.c.Nodes[0]
	s, err := n.NewSession("")
	if err != nil {
		bed.err = err
		return
	}
	defer s.Close()
	if bed.err = testbed.CreateFixtureSchema(ctx, s); bed.err != nil {
		return
	}
	bed.err = writeAndFlush(ctx, n, 0, 100)
}

// writeAndFlush writes fixture rows start..start+n-1 and flushes them
// into new SSTables.
func writeAndFlush(ctx context.Context, n *testbed.Node, start, count int) error {
	s, err := n.NewSession("")
	if err != nil {
		return err
	}
	defer s.Close()
	if err := testbed.WriteRowsFrom(ctx, s, start, count); err != nil {
		return err
	}
	_, err = n.Nodetool(ctx, "flush")
	return err
}

// cqlNode is the backup's view of the test-bed node over CQL.
type cqlNode struct{ s *cassandra.Session }

func (n cqlNode) SchemaCQL(ctx context.Context) (string, error) { return n.s.SchemaCQL(ctx) }
func (n cqlNode) TokenMap(ctx context.Context) (layout.Tokenmap, error) {
	return n.s.TokenMap(ctx, nil, false)
}
func (n cqlNode) ServerVersion(ctx context.Context) (layout.ServerVersion, error) {
	return n.s.ServerVersion(ctx)
}

// nodeDeps wires a backup to the test-bed node: CQL, nodetool and its
// data directory. The snapshots each backup found are recorded in seen.
type nodeDeps struct {
	deps backup.Deps
	mu   sync.Mutex
	seen map[string][]backup.Table // by tag
}

func newNodeDeps(t *testing.T, n *testbed.Node, b storage.Backend) *nodeDeps {
	t.Helper()
	nc, err := cassandra.ReadNodeConfig(n.ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	s, err := cassandra.Connect(t.Context(), cassandra.CQLOptionsFor(nc))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	nd := &nodeDeps{seen: map[string][]backup.Table{}}
	nd.deps = backup.Deps{
		Storage:     b,
		Node:        cqlNode{s},
		Snapshotter: cassandra.NodetoolSnapshotter{Nodetool: cassandra.Nodetool{Options: cassandra.NodetoolOptions{Executable: n.NodetoolPath}}},
		FindSnapshot: func(_ context.Context, tag string) ([]backup.Table, error) {
			snaps, err := cassandra.FindSnapshot(nc.DataDir, tag)
			if err != nil {
				return nil, err
			}
			var out []backup.Table
			for _, s := range snaps {
				tb := backup.Table{Keyspace: s.Keyspace, TableDir: s.TableDir, Dir: s.Dir}
				for _, f := range s.Files {
					tb.Files = append(tb.Files, backup.File{RelPath: f.RelPath, Path: f.Path, Size: f.Size})
				}
				out = append(out, tb)
			}
			if len(out) > 0 {
				nd.mu.Lock()
				nd.seen[tag] = out
				nd.mu.Unlock()
			}
			return out, nil
		},
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
	return nd
}

// snapshotDirsLeft returns the snapshot directories of tag still on disk.
func snapshotDirsLeft(t *testing.T, n *testbed.Node, tag string) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(n.DataDir, "*", "*", "snapshots", tag))
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}
