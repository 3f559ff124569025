// Package grpcserver serves Medusa's gRPC API (package medusapb), the one
// k8ssandra-operator drives in every Cassandra pod's medusa sidecar.
//
// It is a thin front door: each rpc calls the same services the CLI uses
// (node backup, catalog, purge, restore planning); no backup or restore
// logic lives here. server.go holds the transport (listener, message limits,
// health, graceful stop), tls.go the mutual TLS of [grpc] ca_cert/tls_cert/
// tls_key and configwatch.go the stop on a medusa.ini change;
// docs/kubernetes.md says how the operator uses them.
//
// Service (service.go) implements the eight rpcs: backups.go (Backup,
// AsyncBackup, BackupStatus), listing.go (GetBackups, GetBackup),
// maintenance.go (PurgeBackups, DeleteBackup, PrepareRestore). The state
// of every backup it accepts is a JSON record in a locked state directory
// (state.go), so a restarted server settles the backups a killed one left
// running (recover.go).
package grpcserver
