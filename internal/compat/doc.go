// Package compat holds the compatibility tests between this tool and the
// real Python Medusa (PyPI cassandra-medusa, installed in a virtualenv by
// scripts/testbed/python-medusa/install.sh). It has no code of its own: its
// tests back up one test-bed Cassandra node with both tools, into local
// storage and into the test bed's S3 server with one medusa.ini, and check
// that each tool lists, reports and verifies the other's backups, prints the
// same text for them and writes the same bucket layout byte for byte.
//
// The tests need real servers: under `go test -short` they skip; otherwise a
// server that cannot start (or a Python Medusa that cannot be installed)
// fails them. Run them with
//
//	go test -count=1 -v ./internal/compat
package compat
