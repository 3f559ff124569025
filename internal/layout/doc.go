// Package layout is Cassandra Medusa's on-bucket format, reproduced byte for
// byte (docs/bucket-format.md) so that Medusa and this tool can read each
// other's backups. It is pure: no storage calls, no clock, no logging; input
// and output go through []byte, io.Reader and io.Writer.
//
// # Keys
//
// P is "<prefix>/" or "" (see New). A Layout builds every key Medusa uses:
//
//	P<fqdn>/<backup>/meta/{schema.cql,tokenmap.json,server_version.json,differential,manifest.json}
//	P<fqdn>/<backup>/data/<keyspace>/<table dir>/[<.index dir>/]<file>   full backups
//	P<fqdn>/data/<keyspace>/<table dir>/[<.index dir>/]<file>            differential pool
//	P index/backup_index/<backup>/{tokenmap_<fqdn>.json, schema_<fqdn>.cql,
//	    started_<fqdn>_<epoch>.timestamp, differential_<fqdn>, manifest_<fqdn>.json,
//	    finished_<fqdn>_<epoch>.timestamp}
//	P index/latest_backup/<fqdn>/{tokenmap.json,backup_name.txt}
//
// and parses index keys (ParseIndexKey, following Medusa's segment count,
// its two regular expressions in order and its extension stripping) and data
// keys (ParseDataKey). Backup names and fqdns are single key segments:
// ValidateBackupName and ValidateFQDN refuse names the index cannot carry.
//
// # Documents
//
// manifest.json, tokenmap.json and server_version.json are produced exactly
// as Python's json.dumps writes them (", " and ": " separators, no
// indentation, no trailing newline, non-ASCII as lower-case \uXXXX, '/' and
// HTML characters unescaped), and parsed tolerantly: null or missing MD5,
// tokenmaps without rack/dc, single tokens written as a bare integer, and
// RandomPartitioner tokens beyond int64 (kept as json.Number). A document
// Medusa wrote survives Unmarshal+Marshal byte for byte (fields Medusa never
// writes are dropped).
//
// # Index model
//
// NodeBackups turns parsed index entries into node backups (a node backup
// exists iff its tokenmap_ entry does; started/finished epochs come from
// the entry names), ClusterBackups groups them per backup name with
// Medusa's completion rules (docs/bucket-format.md, Completion), and the list-backups and status
// renderings (text with times in an injected *time.Location, and JSON with
// sort_keys=True, ensure_ascii=False) work on that model. Reading tokenmaps,
// manifests and server versions, and the existence checks Medusa does with
// HEAD requests, are the caller's.
//
// # Deliberate differences from Medusa
//
//   - A one-character prefix applies to the index too (Medusa drops it
//     there, making tenants share one index).
//   - Index entry kinds come from the pattern match, node filters match the
//     fqdn exactly (Medusa uses substring tests that confuse nodes such as
//     "node1" and "x_node1"), keys no pattern matches are skipped with a
//     warning (Medusa fails an assertion), and missing_nodes_list is in
//     tokenmap order (Medusa: set order).
//   - A cluster backup whose tokenmap is empty or unknown is never complete.
package layout
