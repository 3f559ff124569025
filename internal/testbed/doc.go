// Package testbed starts real servers for tests and the demo: Apache
// Cassandra (from Maven Central jars, see scripts/testbed/cassandra), S3,
// Google Cloud Storage and Azure Blob emulators, an instance metadata
// service and a stand-in for the Management API for Apache Cassandra's
// snapshot resource (MgmtAPI, performing real snapshots with nodetool). Binaries and downloads are cached outside the repository under
// ${MEDUSA_TESTBED_CACHE:-$HOME/.cache/medusa-testbed}; every server binds to
// loopback addresses on ports chosen at run time.
//
// In tests, the *T helpers (CassandraT, S3T, GCST, ...) start a server for
// one test and stop it when the test ends. A package whose tests share one
// Cassandra node calls Shared from its TestMain and SharedNode in each test:
// the node starts on first use, stops when the binary exits, and is never
// started under -short. Cluster tests do the same with SharedClusterMain and
// SharedCluster: three nodes on 127.0.0.1-3, an S3 server, the medusa
// binary, and one OpenSSH sshd per node address whose logins see that
// node's own /etc/medusa/medusa.ini (StartClusterBed, ClusterBedT for a
// second cluster, e.g. on 127.0.0.4-6 as a restore target); the bed's
// PythonLogins are a second sshd per node address set up for Python
// Medusa's own cluster commands, run inside node 1's login as on real
// hosts. Every helper skips under -short and otherwise fails
// the test, with the reason, when its server cannot start.
package testbed
