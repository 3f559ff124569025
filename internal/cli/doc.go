// Package cli is medusa's command line: one file per command, each turning
// flags into options and calling the services built by internal/app. It
// also owns the console logger and the mapping of errors to exit codes:
//
//	0  success
//	1  the operation failed (storage, Cassandra, a backup not found, ...)
//	2  usage or configuration error: bad flags, a missing or invalid
//	   medusa.ini (one message per problem)
//	130 interrupted (SIGINT/SIGTERM); work in flight was cancelled
package cli
