// Package cassandra talks to the local Cassandra node: it reads
// cassandra.yaml for directories, addresses and ports (docs/compatibility.md, medusa.ini), runs
// nodetool for snapshots, and queries CQL for the schema, token map and
// server version. Snapshots go through one Snapshotter interface (nodetool,
// Jolokia or the Management API), and FindSnapshot walks the snapshot
// directories of the data directory.
package cassandra
