// Package check is `medusa check`: it looks at a node's set-up (medusa.ini,
// the storage credentials, the bucket, what the IAM policy allows, the
// Cassandra node, the [ssh] settings) before the first backup needs it.
//
// Each check is a small function returning one Result: OK, WARN or FAIL
// with what was found and, unless OK, what to do (SKIP when it does not
// apply or could not run because an earlier check failed). Run runs a list
// of checks in order and collects a Report, which renders as one line per
// check or as JSON. Checks reach the outside world through small
// interfaces (S3API, Cassandra, ...), so the unit tests use fakes and
// internal/app wires the real clients.
//
// Nothing a check prints contains a secret: access keys are shortened to
// their last four characters, secret keys, session tokens, SSE-C keys and
// passwords are never read into a Result.
package check
