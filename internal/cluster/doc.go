// Package cluster drives a whole Cassandra cluster from one host:
// backup-cluster and restore-cluster. It discovers the nodes over CQL,
// builds a plan (which node does what, with its own arguments), and runs
// medusa's node commands on every node through a remote.Executor (SSH in
// production), streaming each node's output with the node's name in front
// and ending with one summary per node.
//
// restore-cluster (Restore) first builds a plan with no I/O (BuildPlan:
// in place, remote onto a cluster of the same shape, a --host-list, or
// sstableloader), checks that every target answers over SSH and runs
// medusa, then runs restore-node on every target. In the file modes the
// nodes are held at two gates (restore-node --gate): all download while
// Cassandra runs, then all stop and place the files, then all start, seeds
// first; a failure before the start aborts the others.
package cluster
