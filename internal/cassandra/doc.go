// Package cassandra talks to the local Cassandra node: it reads
// cassandra.yaml for directories, addresses and ports (spec §8), runs
// nodetool for snapshots, and queries CQL for the schema, token map and
// server version.
package cassandra
