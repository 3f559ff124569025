// Package testbed starts real servers for tests and the demo: Apache
// Cassandra (from Maven Central jars, see scripts/testbed/cassandra), S3,
// Google Cloud Storage and Azure Blob emulators and an instance metadata
// service. Binaries and downloads are cached outside the repository under
// ${MEDUSA_TESTBED_CACHE:-$HOME/.cache/medusa-testbed}; every server binds to
// loopback addresses on ports chosen at run time.
//
// In tests, the *T helpers (CassandraT, S3T, GCST, ...) start a server for
// one test and stop it when the test ends. A package whose tests share one
// Cassandra node calls Shared from its TestMain and SharedNode in each test:
// the node starts on first use, stops when the binary exits, and is never
// started under -short. Every helper skips under -short and otherwise fails
// the test, with the reason, when its server cannot start.
package testbed
