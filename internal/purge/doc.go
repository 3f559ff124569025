// Package purge implements retention: `medusa
// purge`, `delete-backup` and `purge-decommissioned`.
//
// # Selection (pure)
//
// SelectRetention, SelectNames, SelectAll, Decommissioned and
// SelectOrphans take the index model, the clock and the settings and
// return what to delete; they do no I/O. Retention follows Medusa except
// for its bugs:
//
//   - max_backup_age deletes node backups started before now − age days;
//   - max_backup_count keeps the N complete node backups started last;
//     incomplete ones never count toward N (#607);
//   - an unfinished backup started within backup_grace_period_in_days may
//     still be running and is never selected by retention; older ones are
//     deleted once a retention rule is set (#392, #417);
//   - leftovers of an interrupted deletion (index entries or objects of a
//     node backup whose meta/schema.cql is gone) are always finished off.
//
// # Orphans (#363)
//
// After the backups, the node's differential pool P<fqdn>/data/ is
// cleaned like Medusa's cleanup_obsolete_files: an object named by any
// remaining manifest (read before anything is deleted; an unreadable one
// aborts the run) is kept; an unreferenced one is deleted when its
// LastModified is older than the grace period and kept and counted
// otherwise. In addition, while a backup of the node may be running (see
// MayBeRunning), or when a new backup of the node appears in the index
// between the listing and the clean-up, nothing in the pool is deleted:
// a running differential backup reuses existing pool objects, of any
// age, in a manifest that does not exist yet. What is left is cleaned by
// the next purge.
//
// # Archived commit logs
//
// A node's archived commit log segments (P<fqdn>/commitlogs/, see
// internal/commitlog) are cleaned last, by SelectSegments. The oldest
// remaining backup of the node with meta/pitr.json pins the segments a
// point-in-time restore from it needs: a segment is deleted only when its
// id is below the smallest id active at that backup's snapshot AND it was
// last written before the snapshot started minus [cassandra]
// commitlog_retention_grace. Backups without pitr.json pin nothing; an unfinished
// backup that may still be running pins what was written since its start
// minus the grace; the last grace is always kept. Sidecars go first (a
// segment without one is not archived, so no restore picks it half
// deleted), then segment objects. A node that left the cluster loses all
// of commitlogs/. Objects the store retains under Object Lock are kept and
// counted. The directory is never taken for a backup: "commitlogs" is a
// reserved backup name.
//
// # Execution
//
// Executor lists the index once and each node once (P<fqdn>/, which holds
// the pool and the backup directories), then deletes with DeleteMany in
// batches of up to 1,000 keys, in an order that survives a crash at any
// point (see Executor.Execute): index finish entries, then
// meta/manifest.json and meta/schema.cql (a node backup without
// meta/schema.cql does not exist, so nothing lists as complete while its
// files are missing), the latest_backup markers, the rest of the backup
// directories, the remaining index entries, the pool. A rerun finds what
// a crash left (index entries or objects without meta/schema.cql) and
// deletes it. A dry run computes the same plan and deletes nothing.
//
// # Differences from Medusa
//
//   - Deletes in batches (S3 DeleteObjects) instead of one request per
//     object; backups not in the index (never indexed, half deleted) are
//     found from the node listing.
//   - index/latest_backup markers naming a deleted backup are moved to
//     the newest remaining finished backup, or deleted (Medusa leaves them
//     for self-healing).
//   - purge-decommissioned works without a prefix, compares against the
//     hosts of every datacenter, ignores top-level names that hold no
//     node backup, and refuses to run when this node's fqdn is not among
//     the cluster's hosts (a naming mismatch would make every node look
//     decommissioned).
package purge
