// Package cryptmigrate is medusa encrypt-backups: it turns the plain
// backups of a prefix into client-side encrypted ones (docs/encryption.md,
// "Encrypting the backups of a plain prefix"), for every node of the
// prefix, since the prefix's marker says how all of its backups are
// stored.
//
// Nothing is lost at any step, and a run killed at any point is finished
// by running it again:
//
//  1. The prefix is checked without writing anything: every node backup
//     must be finished (an unfinished one may be running, or holds files
//     nobody can restore) and undamaged (every object its manifest names
//     is stored with the manifest's size), and no archived commit log may
//     be there.
//  2. The marker P index/medusa_encryption.json is written with
//     "migration": "in-progress": from then on backup, restore, download,
//     purge, purge-decommissioned and commitlog sync refuse the prefix
//     (with the key ring or without), so nothing restores a backup half
//     way, writes a new plain one or deletes what the run is about to
//     name. Reading commands and delete-backup still run. The prefix is
//     listed and checked again. A plain backup reads the marker again
//     once its meta/schema.cql is written, before any data upload, and
//     just before its manifest (backup.Deps.CheckPrefix): it either shows
//     here as unfinished, or sees the marker and stops before uploading.
//  3. Per node backup: each data object its manifest names is sealed to a
//     new key, in a directory of the same table tagged "enc"
//     (<table dir>.enc/, or <table dir>.<tag>-enc/ for a variant
//     directory), the original staying in place. A pool object shared by
//     several backups is sealed once. The meta files that are encrypted
//     (schema.cql, dropped_columns.json, pitr.json) and the index copy of
//     schema.cql are sealed in place (same content). Then meta/manifest.json
//     is rewritten in one PUT to name the new keys (sizes stay the content
//     sizes, hashes are the store's hashes of the ciphertext), then its
//     index copy. Existing pool objects are never overwritten with other
//     content: a new key only ever receives the ciphertext of its source,
//     and only while no manifest names it.
//  4. The plain data objects no manifest names any more are deleted: the
//     originals, and unreferenced plain files of the pools, which a later
//     differential backup could otherwise reuse as if they were encrypted.
//  5. The marker is written without "migration": the prefix is encrypted.
//
// A run after a crash finds which manifests already name sealed keys (a
// manifest is rewritten whole or not at all), seals again what the crash
// left unnamed, and goes on.
package cryptmigrate
