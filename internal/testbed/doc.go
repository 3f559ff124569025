// Package testbed starts real servers for tests and the demo: Apache
// Cassandra (from Maven Central jars, see scripts/testbed/cassandra), S3,
// Google Cloud Storage and Azure Blob emulators and an instance metadata
// service. Binaries and downloads are cached outside the repository under
// ${MEDUSA_TESTBED_CACHE:-$HOME/.cache/medusa-testbed}; every server binds to
// loopback addresses on ports chosen at run time.
package testbed
