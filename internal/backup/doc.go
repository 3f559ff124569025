// Package backup backs up the local Cassandra node into Cassandra Medusa's
// bucket layout (docs/bucket-format.md), full or differential, as a
// sequence of explicit stages:
//
//	lock          <tmpdir>/medusa_backup_in_progress, held with flock
//	check-exists  HEAD meta/schema.cql (+ manifest.json): refuse or resume
//	meta          schema.cql (first: the backup now exists), tokenmap.json,
//	              server_version.json, differential marker
//	index-start   index tokenmap_, schema_, started_, differential_
//	stagger       wait for the previous node in token order (--stagger)
//	snapshot      nodetool snapshot -t medusa-<name> (or the existing one)
//	pool          one listing of P<fqdn>/data/ (differential only)
//	compare       per file: upload, re-upload or reuse (name, size, time or hash)
//	upload        concurrent_transfers files in flight across tables
//	manifest      meta/manifest.json: the backup is finished
//	index-finish  index manifest_, finished_, then latest_backup markers
//	cleanup       nodetool clearsnapshot, also when the backup failed
//
// An error is a *StageError naming its stage. The commit order is data,
// then meta/manifest.json, then the index, so a crash or a cancellation
// never leaves a backup that lists as finished; a cancelled context stops
// every write (the snapshot is still cleared).
//
// Cassandra and the index are reached through small interfaces (Node,
// Snapshotter, FindFunc, FinishedFunc) so the pipeline runs against fakes
// in tests; storage is a storage.Backend. Files are streamed from disk
// (storage.FileSource), never read into memory.
//
// # Differential reuse rule
//
// A snapshot file is reused from a stored object of the same keyspace,
// table directory (or one of its variant directories), index
// sub-directory and file name when the sizes are equal and either, with
// MD5 checks and a store that reports hashes, the hashes match (the hash
// the store would report for the local file: an ExpectedHash capability
// of the backend, e.g. S3's multipart ETag rule, else the plain MD5), or
// otherwise the object was stored at or after the file's modification
// time (SSTables are never rewritten, so an older object came from an
// earlier file of the same name). Content that matches nothing is
// uploaded to the file's key when it is free, else to a variant directory
// <table dir>.v<start time> of the pool: a stored object is never
// overwritten. reuse.go has the rule, docs/differential-reuse.md the
// reasoning and how Python Medusa reads variants.
//
// A backup name whose meta/schema.cql exists without meta/manifest.json
// is resumed (resume.go); a complete one is refused. The in-progress
// marker records its owner, so the snapshot of a killed run is cleared by
// the next one (leftover.go).
//
// # Differences from Medusa
//
//   - Uploads run concurrently across tables (Medusa finishes one table
//     before starting the next); manifest sections stay in table order and
//     objects in each section in Medusa's order (new, re-uploaded, reused).
//   - A failing snapshot command fails the backup (Medusa only logged it
//     and could finish with an empty manifest), and so does a snapshot
//     that contains no table.
//   - The in-progress marker is a lock file held with flock, so a second
//     backup on the node is refused while the first runs, and a marker
//     left by a crashed process does not block the next backup.
//   - The manifest records the full key of every object, including the
//     storage prefix, built from the layout rather than parsed back from a
//     URL.
package backup
