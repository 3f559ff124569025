// Package pitr holds the real tests of point-in-time restore (docs/pitr.md)
// against one Cassandra 5.0 node and one S3 server (versitygw) started by
// internal/testbed and shared by the whole package. The node has 1 MiB
// commit log segments and commit log archiving turned on by
// `medusa commitlog enable` before its first start, so every test sees
// segments archived through the real archive_command of the binary built
// from this tree. The package has no production code; `go test -short`
// starts nothing.
//
// Files are prefixed by the part they test: arch_ (archiving: the archive
// command, sync, list), and the restore and retention parts beside them.
// Tests run one after another (none is parallel): they share the node,
// which some of them stop, wipe and restart. Each test writes its own
// keyspace and backup names.
package pitr
