package kube

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/medusa-go/medusa/internal/testbed"
)

// One Cassandra node, with the fixture schema and 100 flushed rows, serves
// every test of the package; the first test that needs it starts it. A test
// that stops the node (the restore init container) starts it again before
// it returns. Its commit log segments are 1 MiB (the smallest), so that
// the point-in-time test closes and archives segments with a few MiB of
// writes.
func TestMain(m *testing.M) {
	testbed.Shared(m, testbed.SharedSetup{Name: "kube", Options: func(string) (testbed.CassandraOptions, error) {
		return testbed.CassandraOptions{CommitlogSegmentSize: "1MiB"}, nil
	}, Ready: testbed.FixtureReady(100), Cleanup: func() {
		if binary.dir != "" {
			_ = os.RemoveAll(binary.dir)
		}
	}})
}

// binary is the medusa binary the package's tests run, built once.
var binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// medusaBinary builds medusa once for the whole package (as `make build`
// does) and returns its path; a build that fails fails every test asking.
func medusaBinary(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		if binary.dir, binary.err = os.MkdirTemp("", "medusa-kube-bin-"); binary.err != nil {
			return
		}
		binary.path, binary.err = testbed.BuildMedusa(context.Background(), binary.dir)
	})
	if binary.err != nil {
		t.Fatalf("build medusa: %v", binary.err)
	}
	return binary.path
}
