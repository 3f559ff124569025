package cassandra

import (
	"fmt"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/testbed"
)

// One Cassandra node serves every integration test of the package: it is
// started by the first test that needs it. It has PasswordAuthenticator on
// and accepts TLS (optional, client certificate required) and plain
// connections on the same native port; testPKI holds its certificates.
func TestMain(m *testing.M) {
	testbed.Shared(m, testbed.SharedSetup{Name: "pkg", Options: nodeOptions})
}

// pki is the shared node's certificates, written by nodeOptions.
var pki testPKI

// testNode returns the shared node, starting it on first use. Under -short
// the test is skipped; a node that cannot start fails the test.
func testNode(t *testing.T) *testbed.Node {
	t.Helper()
	return testbed.SharedNode(t)
}

// nodeOptions writes the node's certificates into dir and returns its
// options: password authentication and optional client TLS.
func nodeOptions(dir string) (testbed.CassandraOptions, error) {
	var err error
	if pki, err = newTestPKI(dir); err != nil {
		return testbed.CassandraOptions{}, err
	}
	extra := fmt.Sprintf(`client_encryption_options:
  enabled: true
  optional: true
  require_client_auth: true
  ssl_context_factory:
    class_name: org.apache.cassandra.security.PEMBasedSslContextFactory
  keystore: %s
  truststore: %s
`, pki.ServerKeystore, pki.CA)
	return testbed.CassandraOptions{PasswordAuth: true, ExtraYAML: extra}, nil
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
