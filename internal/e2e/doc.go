// Package e2e holds the end-to-end tests: the medusa command driven
// in-process (the same cobra root the binary runs) and the backup use case,
// against real servers started by internal/testbed — Cassandra 5.0, an S3
// server (versitygw), fake-gcs-server and Azurite. The package has no
// production code; `go test -short` skips every test that needs a server.
//
// One Cassandra node is shared by the whole package (see testbed.Shared);
// tests keep apart by bucket, prefix and backup name.
package e2e
