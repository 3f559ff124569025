package compat

import (
	"context"
	"sync"
	"testing"

	"github.com/medusa-go/medusa/internal/testbed"
)

// One Cassandra node serves every test of the package: the first test that
// needs it starts it, with the fixture schema, a late keyspace and 100
// flushed rows.
func TestMain(m *testing.M) {
	testbed.Shared(m, testbed.SharedSetup{Name: "compat", Ready: prepareNode})
}

// rows counts the fixture rows written so far.
var rows struct {
	mu   sync.Mutex
	next int // first fixture row not written yet
}

// testNode returns the shared node, starting it on first use. Under -short
// the test is skipped; a node that cannot start fails the test.
func testNode(t *testing.T) *testbed.Node {
	t.Helper()
	return testbed.SharedNode(t)
}

// prepareNode loads the fixture schema and lateKeyspace, then writes and
// flushes 100 rows.
func prepareNode(ctx context.Context, n *testbed.Node) error {
	if err := testbed.FixtureReady(0)(ctx, n); err != nil {
		return err
	}
	s, err := n.NewSession("")
	if err != nil {
		return err
	}
	defer s.Close()
	for _, stmt := range lateKeyspace {
		if err := s.Query(stmt).ExecContext(ctx); err != nil {
			return err
		}
	}
	return moreRows(ctx, n, 100)
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
	rows.mu.Lock()
	start := rows.next
	rows.next += count
	rows.mu.Unlock()
	return testbed.WriteRowsAndFlush(ctx, n, start, count)
}
