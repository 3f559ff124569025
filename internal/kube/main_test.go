package kube

import (
	"testing"

	"github.com/medusa-go/medusa/internal/testbed"
)

// One Cassandra node, with the fixture schema and 100 flushed rows, serves
// every test of the package; the first test that needs it starts it. A test
// that stops the node (the restore init container) starts it again before
// it returns.
func TestMain(m *testing.M) {
	testbed.Shared(m, testbed.SharedSetup{Name: "kube", Ready: testbed.FixtureReady(100)})
}
