// Package kube holds the real tests of medusa's Kubernetes front doors: the
// gRPC sidecar as k8ssandra-operator drives it, the Management API
// snapshots of Kubernetes mode and the restore init container, against one
// real Cassandra node and a real S3 server started by internal/testbed.
// It has no code of its own.
package kube
