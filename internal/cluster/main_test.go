package cluster_test

import (
	"testing"

	"github.com/medusa-go/medusa/internal/testbed"
)

// TestMain shares one 3-node cluster bed (Cassandra, S3, one sshd per
// node) between the package's real-server tests; -short starts nothing.
// The nodes archive their commit logs from the start (1 MiB segments), as
// restore-cluster --pitr needs; the other tests' backups sync the spool
// and record meta/pitr.json too.
func TestMain(m *testing.M) {
	testbed.SharedClusterMain(m, testbed.ClusterSetup{Name: "cluster",
		Options: testbed.ClusterBedOptions{CommitlogArchiving: true}})
}
