// Package backup backs up the local Cassandra node into Cassandra Medusa's
// bucket layout (docs/bucket-format.md), full or differential, as a
// sequence of explicit stages:
//
//	lock          <tmpdir>/medusa_backup_in_progress, held with flock
//	check-exists  HEAD meta/schema.cql: "Backup <name> already exists"
//	meta          schema.cql (first: the backup now exists), tokenmap.json,
//	              server_version.json, differential marker
//	index-start   index tokenmap_, schema_, started_, differential_
//	stagger       wait for the previous node in token order (--stagger)
//	snapshot      nodetool snapshot -t medusa-<name> (or the existing one)
//	pool          one listing of P<fqdn>/data/ (differential only)
//	compare       per file: upload, re-upload or reuse (name, size, [hash])
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
// A snapshot file is reused when the pool holds an object with the same
// keyspace, table directory, index sub-directory and file name and the
// same size; with MD5 checks the hash must match too: the hash the store
// would report for the local file (an ExpectedHash capability of the
// backend, e.g. S3's multipart ETag rule, else the plain MD5) compared as
// package checksum does (hex or base64, quotes and case ignored). Objects whose store reports no hash (local storage)
// are compared by size only, as Medusa does. Everything else is uploaded
// (again); reused objects keep the pool's key, size and hash (null when
// the store reports none).
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
