// Package e2e holds the end-to-end tests: the medusa command driven
// in-process (the same cobra root the binary runs), or the binary itself,
// and the backup use case, against real servers started by
// internal/testbed — Cassandra 5.0, an S3 server (versitygw),
// fake-gcs-server and Azurite. The package has no production code; `go
// test -short` skips every test that needs a server.
//
// Files are named for the command they drive: backup_*, list_backups_*,
// purge_* (retention, delete-backup, purge-decommissioned, a purge racing
// a backup; their synthetic buckets come from testbed.Bucket, which the
// purge package's unit tests use too), restore_* (restore-node and download
// in every mode, and the recovery of a killed restore), metrics_* (the
// Prometheus textfiles of the binary's runs, read by node_exporter).
//
// One Cassandra node is shared by the whole package (see testbed.Shared);
// tests keep apart by bucket, prefix, backup name and, for the rows they
// write, fixture row numbers. The restore tests, which replace a node's
// data and stop it, start nodes of their own.
package e2e
