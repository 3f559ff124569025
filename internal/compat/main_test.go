package compat

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/testbed"
)

// One Cassandra node serves every test of the package: the first test that
// needs it starts it (with the fixture schema and 100 flushed rows), TestMain
// stops it.
var bed struct {
	once sync.Once
	dir  string
	c    *testbed.Cluster
	err  error

	mu      sync.Mutex
	nextRow int // first fixture row not written yet
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

// testNode returns the shared node, starting it on first use. Under -short
// the test is skipped; a node that cannot start fails the test.
func testNode(t *testing.T) *testbed.Node {
	t.Helper()
	if testing.Short() {
		t.Skip("needs Apache Cassandra (Java 17 + Maven jars) and Python Medusa; run without -short")
	}
	bed.once.Do(startBed)
	if bed.err != nil {
		t.Fatalf("cassandra test bed: %v", bed.err)
	}
	return bed.c.Nodes[0]
}

func startBed() {
	if bed.dir, bed.err = os.MkdirTemp("", "medusa-cassandra-compat-"); bed.err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	began := time.Now()
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
	for _, stmt := range lateKeyspace {
		if bed.err = s.Query(stmt).ExecContext(ctx); bed.err != nil {
			return
		}
	}
	bed.err = moreRows(ctx, n, 100)
	fmt.Fprintf(os.Stderr, "compat: cassandra %s up with the fixture in %s\n", bed.c.Version,
		time.Since(began).Round(time.Millisecond))
}

// lateKeyspace is a keyspace whose name sorts after the virtual keyspaces
// (system_views, system_virtual_schema), with a table and a row: schema.cql
// lists keyspaces in the server's order, and Medusa's schema parser must
// still find it.
var lateKeyspace = []string{
	`CREATE KEYSPACE IF NOT EXISTS zz_late WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
	`CREATE TABLE IF NOT EXISTS zz_late.items (k int PRIMARY KEY, v text)`,
	`INSERT INTO zz_late.items (k, v) VALUES (1, 'one')`,
}

// moreRows writes count new fixture rows and flushes them into new SSTables.
func moreRows(ctx context.Context, n *testbed.Node, count int) error {
	bed.mu.Lock()
	start := bed.nextRow
	bed.nextRow += count
	bed.mu.Unlock()
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
