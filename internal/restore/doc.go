// Package restore restores the local Cassandra node from a backup in
// Cassandra Medusa's layout (docs/bucket-format.md; flags and [checks] as in
// docs/compatibility.md), as explicit stages that never lose
// the node's data:
//
//	plan        find the node backup (catalog), read manifest, token map and
//	            schema, select tables (--keyspace/--table; the system
//	            keyspaces always), decide per table: restore, wipe or keep
//	prepare     free space (a shortfall names the bytes missing), write
//	            rights on every directory that will change, the restore lock,
//	            the journal, the aside directories; downloads left by
//	            killed restores are removed first
//	download    every file into <temp-dir>/medusa-restore-<id>/<ks>/<table>/,
//	            concurrent_transfers at a time, streamed (never in memory),
//	            MD5 computed on the way
//	check       every file against the manifest: size, then content: plain
//	            MD5 (S3 single part, GCS, Azure, local), or the S3 multipart
//	            ETag (hashed during the download with the likeliest part
//	            size; else recomputed from the file with the backend's
//	            settings and the usual part sizes). The store's current hash
//	            is a shortcut, not a veto: an object stored again with the
//	            same bytes and another part size is restored (logged);
//	            other bytes are refused, naming the key
//	stop        nodetool drain, stop_cmd, wait until the ports are closed and
//	            no process holds files in the data or commit log directories
//	            (/proc/<pid>/fd; processes of other users are only seen as root)
//	move-aside  replaced and wiped table directories to
//	            <data>/.medusa-aside-<id>/, commit log segments and saved
//	            caches to .medusa-aside-<id>/ inside their own directories
//	place       downloaded table directories into the data directory (rename;
//	            a copy then rename across file systems), chown to the data
//	            directory's owner, the replaced directories' snapshots/ and
//	            backups/ carried over; remote restores write initial_token,
//	            num_tokens and auto_bootstrap: false into cassandra.yaml
//	start       wait for one of --seeds, start_cmd
//	wait-up     [checks] health_check passes and the native port accepts
//	            connections
//	verify      --verify: the [checks] query, expected_rows, expected_result
//	cleanup     remove what was moved aside and the download
//
// A point-in-time restore (Options.PITR, restore-node --pitr; see
// docs/pitr.md) chooses its base backup and archived commit log segments
// in the plan stage (commitlog.Plan), adds two stages and changes three:
//
//	segments    after check: the selected segments downloaded into the commit
//	            log directory's aside root, each checked (size, SHA-256,
//	            header)
//	move-aside  also empties hints_directory; the spool of segments waiting
//	            for upload stays in place
//	place       also renames the segments' directory to [commitlog]
//	            restore_dir and writes restore_command, restore_directories,
//	            restore_point_in_time and precision into
//	            commitlog_archiving.properties (previous content in
//	            <file>.medusa-bak, both journaled)
//	replay      after wait-up: the replayed mutation count from system.log,
//	            then the properties file reset and the restore directory
//	            removed (a rollback or a recovery resets them too)
//
// An error is a *StageError naming its stage. Nothing on the node changes
// before every file was downloaded and checked: a failure up to the check
// stage leaves Cassandra running and its files untouched.
//
// Every change after that is announced in a write-ahead journal before it
// is made: <data>/.medusa-aside-<id>/.journal, on the file system of what
// it describes, one JSON record per line, fsynced (the moves of a stage
// are announced in one write, so a restore adds a few fsyncs per table,
// not per file); milestones are recorded too (Cassandra about to be
// stopped, every file placed, done). The journal is locked (flock) while
// its restore runs. A failure after the node was drained or stopped rolls
// back: Cassandra is stopped if it may run, the changes are undone last
// first (what Cassandra created meanwhile goes to a ".rejected" directory
// inside the aside directory), cassandra.yaml gets its previous content,
// and Cassandra is started again. The error then says that the node's
// data is as it was, or, if the rollback itself failed, where the previous
// files are. A cancelled context still rolls back.
//
// A restore killed outright (SIGKILL, a power loss) leaves its journal
// unlocked: Recover, which every command touching the node runs first,
// replays it. Each recorded change can be undone whether or not it was
// made, so a kill between announcing and making a change is harmless. When
// every file had been placed, the restore is completed (Cassandra started,
// checked, what was moved aside removed); otherwise it is rolled back and
// Cassandra started again if the restore had stopped it. Downloads left in
// --temp-dir by killed restores are removed by the next restore (under the
// temporary directory's lock, so never a running one's); aside directories
// without a journal are removed when empty, else reported with the command
// that removes them.
//
// When nothing was moved yet and Cassandra still answers (a failed
// drain), it is left running. --dry-run prints the plan and changes
// nothing. A --keyspace or --table the backup does not hold fails at the
// plan stage.
//
// --use-sstableloader keeps Cassandra running. First (stage schema,
// unless Options.Schema is SchemaSkip) the selected part of the backup's
// schema is created where the cluster lacks it, dropped columns replayed
// (cassandra.PlanSchema; nothing is dropped). Then each node of the
// comma-separated fqdn, one at a time, is downloaded, checked and streamed
// table by table (not system or system_schema, nor system_auth with
// --keep-auth), and its download removed before the next.
// Download (medusa download) runs plan, prepare, download and check into a
// directory of the user's.
//
// Cassandra, the file operations (direct, or through sudo with
// use_sudo_for_restore) and sstableloader are reached through small
// interfaces (Node, FS, Loader, SchemaCreator), so every stage runs
// against fakes.
//
// # Differences from Medusa
//
//   - Medusa downloads, stops Cassandra and deletes the table directories
//     and commit log before moving the download in; a failure after the
//     stop leaves the node broken. Here nothing is deleted before the node
//     is up and checked, and failures roll back.
//   - Downloads are verified (Medusa checks nothing) and the free space is
//     also checked on the data directory's file system when it differs
//     from the temporary directory's (the download is then copied in while
//     the replaced files are still kept).
//   - The node is drained before stop_cmd, so writes to tables that a
//     partial restore leaves alone are in SSTables before the commit log
//     is moved aside; a partial restore fails (and rolls back) when drain
//     fails. If the node was already down, its commit log is kept aside
//     after a partial restore and its location logged.
//   - Saved caches are moved aside too (current Medusa leaves them, older
//     versions deleted them): a saved key cache maps SSTable generations to
//     offsets, and after a restore the same generation can name an SSTable
//     with other content (UUID identifiers off, or a node rebuilt since the
//     backup), so stale entries could point reads at wrong offsets.
//     Cassandra rebuilds caches; hints are left alone.
//   - Remote restores wipe only system.local and the system keyspace's
//     peers / peers_v2 tables; Medusa's operator precedence also wiped user
//     tables whose directory starts with "peers". The node's snapshots and
//     incremental backups of a replaced table are kept, not deleted.
//   - download --ignore-system-keyspaces drops the system keyspaces even
//     when no keyspace or table is selected (Medusa then kept them).
//   - start_cmd and stop_cmd run through /bin/sh -c (Medusa split them like
//     a shell). With several nodes in --fqdn, only --use-sstableloader is
//     accepted.
//
// A backup whose multipart ETags were made with a part size this tool
// does not try (not multipart_chunksize, nor 5, 8, 16, 32, 50, 64, 100,
// 128 ... MiB) is checked by size only, with a warning (naming the key
// when the store's hash changed since the backup); SSE-C and SSE-KMS
// buckets (kms_id, sse_c_key set) never refuse a file for its content,
// their ETags not being MD5s. See package checksum for how hashes compare.
package restore
