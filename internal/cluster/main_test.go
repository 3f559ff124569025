package cluster_test

import (
	"testing"

	"github.com/medusa-go/medusa/internal/testbed"
)

// TestMain shares one 3-node cluster bed (Cassandra, S3, one sshd per
// node) between the package's real-server tests; -short starts nothing.
func TestMain(m *testing.M) { testbed.SharedClusterMain(m, testbed.ClusterSetup{Name: "cluster"}) }
