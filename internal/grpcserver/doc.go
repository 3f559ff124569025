// Package grpcserver serves Medusa's gRPC API (package medusapb), the one
// k8ssandra-operator drives in every Cassandra pod's medusa sidecar.
//
// It is a thin front door: each rpc calls the same services the CLI uses
// (node backup, catalog, purge, restore planning); no backup or restore
// logic lives here. Server.go holds the transport (listener, message limits,
// health); docs/kubernetes.md says how the operator uses it.
package grpcserver
