// Package cluster drives a whole Cassandra cluster from one host:
// backup-cluster and restore-cluster. It discovers the nodes over CQL,
// builds a plan (which node does what, with its own arguments), and runs
// medusa's node commands on every node through a remote.Executor (SSH in
// production), streaming each node's output with the node's name in front
// and ending with one summary per node.
package cluster
