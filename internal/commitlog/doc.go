// Package commitlog archives Cassandra commit log segments for
// point-in-time restore (docs/pitr.md).
//
// The pieces:
//   - segment.go: segment file names (CommitLog-<version>-<id>.log) and the
//     segment header (version, id, JSON parameters, CRC32);
//   - keys.go: the object keys under <fqdn>/commitlogs/ and the sidecar
//     (SegmentInfo) that marks a segment as archived;
//   - list.go: the archived segments of a node and the gaps between them;
//   - meta.go: meta/pitr.json, written by every backup when archiving is on;
//   - properties.go: Cassandra's commitlog_archiving.properties;
//   - fetch.go: download and verify one archived segment (restore).
//
// Bucket format. Objects live under <P><fqdn>/commitlogs/, P being the
// [storage] prefix as for backups. The key functions here build keys
// relative to P; Under wraps a Backend so that those keys land under P.
// A segment object is
//
//	<fqdn>/commitlogs/<mtime_ms, 13 digits>-CommitLog-<v>-<id>.log.<codec>
//
// with codec "zst" (zstd of the raw segment) or "raw" (a segment Cassandra
// already compressed or encrypted). Its sidecar, the same key with ".json"
// instead of ".<codec>", is written only after the segment object is stored
// and checked: a segment without its sidecar is not archived. No key below
// commitlogs/ contains "meta", so Python Medusa's backup discovery, which
// keys on that substring, ignores these objects.
package commitlog
