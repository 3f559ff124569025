package cassandra

import (
	"errors"
	"path/filepath"
	"testing"
)

// TestNodeProcessOfTestbedNode: the running test node is found in the
// process table by its cassandra.yaml, a node configured elsewhere is not,
// and a session to the running node is not classified as down.
func TestNodeProcessOfTestbedNode(t *testing.T) {
	n := testNode(t)
	if got := NodeProcess("/proc", n.ConfigFile); got != ProcessRunning {
		t.Fatalf("NodeProcess(%s) = %d, want running", n.ConfigFile, got)
	}
	elsewhere := filepath.Join(t.TempDir(), "conf", "cassandra.yaml")
	if got := NodeProcess("/proc", elsewhere); got != ProcessAbsent {
		t.Fatalf("NodeProcess(%s) = %d, want absent", elsewhere, got)
	}
	// The node's port with its configuration: refused would not be down.
	err := nodeDown(errors.New("dial tcp: connect: connection refused"), CQLOptions{ConfigFile: n.ConfigFile}, "x:1")
	if errors.Is(err, ErrNodeDown) {
		t.Fatalf("a running node classified as down: %v", err)
	}
}
