package commitlog

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Dir is the directory of a node's archived segments, below <fqdn>/. The
// backup name "commitlogs" is reserved for it.
const Dir = "commitlogs"

// Codecs of a segment object, and the kind ParseKey reports for a sidecar.
const (
	// CodecZstd: the object is the zstd compression of the raw segment.
	CodecZstd = "zst"
	// CodecRaw: the object is the segment as Cassandra wrote it (already
	// compressed or encrypted by Cassandra).
	CodecRaw = "raw"
	// KindInfo is the kind of a sidecar key (<...>.log.json).
	KindInfo = "json"
)

// SegmentInfo is the sidecar of an archived segment, stored as JSON next to
// the segment object once that object is stored and checked.
type SegmentInfo struct {
	// Name is the segment's file name, CommitLog-<v>-<id>.log.
	Name    string `json:"name"`
	Version int    `json:"version"`
	ID      int64  `json:"id"`
	// MtimeMs is the segment file's modification time: its last write.
	MtimeMs int64 `json:"mtime_ms"`
	// FirstWriteMs is the best estimate of its first write: the previous
	// segment's mtime in the same JVM run, else the id (the run's start).
	FirstWriteMs int64 `json:"first_write_ms"`
	// Codec is CodecZstd or CodecRaw.
	Codec string `json:"codec"`
	// RawSize is the segment file's size, StoredSize the object's.
	RawSize    int64 `json:"raw_size"`
	StoredSize int64 `json:"stored_size"`
	// SHA256 is the hex SHA-256 of the raw segment.
	SHA256 string `json:"sha256"`
	// HostID is the Cassandra host id of the node, when known.
	HostID string `json:"host_id,omitempty"`
	// JVMRun identifies the Cassandra process that wrote the segment (the
	// start time of the archive command's parent); empty when unknown.
	JVMRun        string    `json:"jvm_run,omitempty"`
	ArchivedAt    time.Time `json:"archived_at"`
	MedusaVersion string    `json:"medusa_version,omitempty"`
	// Compressed and Encrypted come from the segment header.
	Compressed bool `json:"compressed"`
	Encrypted  bool `json:"encrypted"`
}

// SegmentName returns the parsed Name.
func (i SegmentInfo) SegmentName() SegmentName { return SegmentName{Version: i.Version, ID: i.ID} }

// Mtime returns MtimeMs as a time.
func (i SegmentInfo) Mtime() time.Time { return time.UnixMilli(i.MtimeMs).UTC() }

// NodeDir returns <fqdn>/commitlogs/, the prefix one LIST of a node uses.
func NodeDir(fqdn string) string { return fqdn + "/" + Dir + "/" }

func baseKey(fqdn string, info SegmentInfo) string {
	return fmt.Sprintf("%s%013d-%s", NodeDir(fqdn), info.MtimeMs, info.SegmentName())
}

// SegmentKey returns the key of the segment object:
// <fqdn>/commitlogs/<mtime_ms 13 digits>-CommitLog-<v>-<id>.log.<codec>.
func SegmentKey(fqdn string, info SegmentInfo) string { return baseKey(fqdn, info) + "." + info.Codec }

// InfoKey returns the key of the sidecar: the segment key with ".json"
// instead of ".<codec>".
func InfoKey(fqdn string, info SegmentInfo) string { return baseKey(fqdn, info) + "." + KindInfo }

// ParseKey parses a key built by SegmentKey or InfoKey (relative to the
// storage prefix). kind is CodecZstd, CodecRaw or KindInfo.
func ParseKey(key string) (fqdn string, mtimeMs int64, name SegmentName, kind string, err error) {
	bad := func(why string) error {
		return fmt.Errorf("%q is not an archived commit log key (<fqdn>/%s/<mtime_ms>-CommitLog-<v>-<id>.log.<zst|raw|json>): %s",
			key, Dir, why)
	}
	i := strings.LastIndex(key, "/"+Dir+"/")
	if i <= 0 {
		return "", 0, SegmentName{}, "", bad("no /" + Dir + "/")
	}
	fqdn, base := key[:i], key[i+len(Dir)+2:]
	ms, rest, ok := strings.Cut(base, "-")
	if !ok || len(ms) != 13 || !isDigits(ms) {
		return "", 0, SegmentName{}, "", bad("no 13-digit mtime")
	}
	mtimeMs, _ = strconv.ParseInt(ms, 10, 64)
	dot := strings.LastIndex(rest, ".")
	if dot < 0 {
		return "", 0, SegmentName{}, "", bad("no kind suffix")
	}
	switch kind = rest[dot+1:]; kind {
	case CodecZstd, CodecRaw, KindInfo:
	default:
		return "", 0, SegmentName{}, "", bad("unknown suffix ." + kind)
	}
	if name, err = ParseSegmentName(rest[:dot]); err != nil {
		return "", 0, SegmentName{}, "", bad(err.Error())
	}
	return fqdn, mtimeMs, name, kind, nil
}
