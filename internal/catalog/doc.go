// Package catalog reads and writes Cassandra Medusa's backup index in
// storage (docs/bucket-format.md, Index and Completion) and implements the
// commands that work from it: listing cluster backups, build-index and
// verify.
//
// It imports only internal/storage and internal/layout: the on-bucket
// format (keys, parsing, the ClusterBackup model, renderings) lives in
// layout; this package adds the storage calls.
//
// # Writing (used by node backups)
//
// A node backup writes, in this order:
//
//	meta/schema.cql, meta/tokenmap.json, ... (the backup's own meta files)
//	WriteStarted   index tokenmap_, schema_, started_<epoch>, [differential_]
//	... data ...
//	meta/manifest.json
//	WriteFinished  index manifest_, finished_<epoch>
//	WriteLatest    index/latest_backup/<fqdn>/{tokenmap.json,backup_name.txt}
//
// The epochs are not the local clock: they are the LastModified of
// meta/schema.cql (started) and of meta/manifest.json (finished), read back
// with EpochOf after those objects were written, exactly as Medusa does.
//
// # Reading
//
// Catalog.ClusterBackups builds every cluster backup from one paginated
// listing of P index/backup_index/ (never a full-bucket listing) and reads,
// concurrently, the tokenmap of each backup's first node backup (needed
// for completion). Catalog.LoadDetails then reads, only for the backups an
// output shows in detail, the manifests of finished nodes (size, object
// count) and server versions. Node backups whose index lacks a started_ /
// finished_ entry get Medusa's fallbacks: the LastModified of the index's
// schema_ / manifest_ entry, else of meta/schema.cql / meta/manifest.json
// (HEAD). Catalog.ClusterBackup and Catalog.NodeBackup list only the index
// entries of one backup.
//
// # Data check
//
// Catalog.LoadDetailsAndCheck (status) and Catalog.LatestCheckedComplete
// (report-last-backup) also compare each finished node backup's own
// meta/manifest.json with one listing of its data path: objects not stored
// or stored with another size make it damaged (layout.DataDamage), and its
// cluster backup is then not complete. Differential backups of a node
// checked together share one listing of its pool; the listing is streamed
// against the manifests, so memory follows the manifests, not the pool.
//
// # Self-healing
//
// Like Medusa, a listing checks meta/schema.cql of the node backups in
// start order until it finds one that exists (usually one HEAD: the
// oldest); the ones found missing before it are hidden, and with
// Catalog.Heal their index entries are deleted. LatestNodeBackup deletes
// the latest_backup markers (with Heal) when they name a backup whose
// meta/schema.cql is gone. This is safe because:
//
//   - only storage.ErrNotExist counts as missing; any other error (access
//     denied, throttling) fails the listing instead of deleting anything
//     (Medusa treats any HEAD error as "missing");
//   - a node backup writes meta/schema.cql before its first index entry
//     (see Writing), so a running backup is never seen without it;
//   - only the entries of that node backup are deleted (exact fqdn match;
//     Medusa's substring match could hit other nodes), and latest markers
//     are only ever written after a backup finished;
//   - deletion failures (read-only credentials) are logged, not fatal.
//
// Purge and delete-backup remain the normal way index entries go away.
//
// # Differences from Medusa
//
//   - BuildIndex discovers node backups under the storage prefix (Medusa
//     lists <fqdn> without the prefix and finds nothing when one is set),
//     parses meta keys strictly (P<fqdn>/<backup>/meta/<file>; Medusa keeps
//     any key containing "meta") and only writes the index entries that
//     are missing.
//   - Verify compares hashes as package checksum does (hex or base64,
//     quotes and case ignored), treats an empty listed hash (local
//     storage) or a null manifest MD5 as "size only", reports an
//     unreadable manifest as a failure (Medusa logs it and passes) and
//     sorts the "exists in storage, but not in manifest" lines. With MD5
//     checks, a listed hash other than the manifest's is no verdict by
//     itself: the object is read and its content decides (an object stored
//     again with the same bytes and another multipart part size is fine,
//     where Medusa says "Blob different").
//   - A tokenmap or manifest that is missing or unparsable makes its
//     backup incomplete / its figures 0 with a warning, instead of failing
//     the whole listing.
package catalog
