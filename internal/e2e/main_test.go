package e2e

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"

	"github.com/medusa-go/medusa/internal/backup"
	"github.com/medusa-go/medusa/internal/cassandra"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/testbed"
)

// One Cassandra node, with the fixture schema and 100 flushed rows, serves
// every test of the package that needs one: the first such test starts it.
func TestMain(m *testing.M) {
	testbed.Shared(m, testbed.SharedSetup{Name: "e2e", Ready: testbed.FixtureReady(100)})
}

// testNode returns the shared node. Under -short the test is skipped; a
// node that cannot start fails the test.
func testNode(t *testing.T) *testbed.Node {
	t.Helper()
	return testbed.SharedNode(t)
}

// writeAndFlush writes fixture rows start..start+count-1 and flushes them
// into new SSTables.
func writeAndFlush(ctx context.Context, n *testbed.Node, start, count int) error {
	return testbed.WriteRowsAndFlush(ctx, n, start, count)
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
