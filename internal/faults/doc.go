// Package faults holds the fault suite: the medusa binary, built once per
// test run, is driven against one real Cassandra node and a real S3 server
// (versitygw) reached through a fault-injecting proxy
// (testbed.FaultProxy), and is killed, interrupted, starved of disk or fed
// damaged objects. After each case the suite checks what a user would:
// the exit code and first line of the output, that nothing partial lists
// as complete, that the next command recovers, that Cassandra is up and
// that restored rows equal the backed-up ones.
//
// Every test needs the real servers and is skipped under -short. With
// MEDUSA_RELIABILITY_OUT=<file> set, the suite writes its results as the
// markdown table of docs/reliability.md (case, what was injected, what the
// user saw, what the data check found).
//
// The package has no code outside its tests.
package faults
