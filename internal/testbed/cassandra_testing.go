package testbed

import (
	"log/slog"
	"testing"
	"time"
)

// CassandraT starts a test-bed Cassandra cluster for a test. Under
// `go test -short` it skips the test; otherwise a cluster that cannot start
// fails the test with the reason (the tail of system.log). Jars missing from
// the cache are fetched once with scripts/testbed/cassandra/fetch.sh. The
// nodes live in t.TempDir() unless opts sets Dir; t.Cleanup stops them
// (SIGKILL after a grace) and, if the test failed, logs each node's log tail.
// opts is optional; only its first element is used.
func CassandraT(t testing.TB, opts ...CassandraOptions) *Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("needs Apache Cassandra (Java 17 + Maven jars); run without -short")
	}
	var o CassandraOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	o.Fetch = true
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	}
	began := time.Now()
	var c *Cluster
	t.Cleanup(func() {
		if c == nil {
			return
		}
		if t.Failed() {
			for _, n := range c.Nodes {
				t.Logf("cassandra node %d (%s):\n%s", n.Index, n.Dir, n.LogTail(40))
			}
		}
		if err := c.Stop(); err != nil {
			t.Errorf("cassandra test bed: stop: %v", err)
		}
	})
	// Each node's start is bounded by its StartTimeout.
	if err := cassStartFresh(t.Context(), o, &c); err != nil {
		t.Fatalf("cassandra test bed: %v", err)
	}
	t.Logf("cassandra %s: %d node(s) up in %s (dir %s)", c.Version, len(c.Nodes), time.Since(began).Round(time.Millisecond), c.Dir)
	return c
}
