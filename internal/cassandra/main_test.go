package cassandra

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

// One Cassandra node serves every integration test of the package: it is
// started by the first test that needs it and stopped by TestMain. It has
// PasswordAuthenticator on and accepts TLS (optional, client certificate
// required) and plain connections on the same native port.
var bed struct {
	once sync.Once
	dir  string
	c    *testbed.Cluster
	pki  testPKI
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

// testNode returns the shared node, starting it on first use. Under -short
// the test is skipped; a node that cannot start fails the test.
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
	began := time.Now()
	bed.dir, bed.err = os.MkdirTemp("", "medusa-cassandra-pkg-")
	if bed.err != nil {
		return
	}
	if bed.pki, bed.err = newTestPKI(bed.dir); bed.err != nil {
		return
	}
	extra := fmt.Sprintf(`client_encryption_options:
  enabled: true
  optional: true
  require_client_auth: true
  ssl_context_factory:
    class_name: org.apache.cassandra.security.PEMBasedSslContextFactory
  keystore: %s
  truststore: %s
`, bed.pki.ServerKeystore, bed.pki.CA)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	bed.c, bed.err = testbed.StartCluster(ctx, testbed.CassandraOptions{
		Dir: bed.dir, PasswordAuth: true, ExtraYAML: extra, Fetch: true,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if bed.err == nil {
		fmt.Fprintf(os.Stderr, "cassandra test bed up in %s (%s)\n", time.Since(began).Round(time.Second), bed.dir)
	}
}

// testCQLOptions are the options that reach the shared node over plain CQL.
func testCQLOptions(t *testing.T, n *testbed.Node) CQLOptions {
	t.Helper()
	nc, err := ReadNodeConfig(n.ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	o := CQLOptionsFor(nc)
	o.Username, o.Password = testbed.CassandraUser, testbed.CassandraPassword
	o.Backoff = Backoff{Attempts: 2, Initial: 10 * time.Millisecond, Max: 20 * time.Millisecond}
	return o
}

func testSession(t *testing.T, o CQLOptions) *Session {
	t.Helper()
	s, err := Connect(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}
