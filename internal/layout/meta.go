package layout

import (
	"fmt"
	"strconv"
	"strings"
)

// DifferentialMarker is the content of meta/differential and of the index's
// differential_<fqdn> entry.
const DifferentialMarker = "differential"

// Server types recorded in server_version.json.
const (
	ServerTypeCassandra = "cassandra"
	ServerTypeDSE       = "dse"
)

// ServerVersion is the content of meta/server_version.json.
type ServerVersion struct {
	ServerType     string
	ReleaseVersion string
}

// DefaultServerVersion is what Medusa assumes when server_version.json is
// missing (backups of old Medusa versions): cassandra, release "unknown".
func DefaultServerVersion() ServerVersion {
	return ServerVersion{ServerType: ServerTypeCassandra, ReleaseVersion: "unknown"}
}

// MarshalServerVersion renders v like Medusa's json.dumps:
// {"server_type": "cassandra", "release_version": "4.1.3"}.
func MarshalServerVersion(v ServerVersion) []byte {
	b := appendPyKey([]byte{'{'}, "server_type", true, true)
	b = appendPyString(b, v.ServerType, true)
	b = appendPyKey(b, "release_version", false, true)
	b = appendPyString(b, v.ReleaseVersion, true)
	return append(b, '}')
}

// UnmarshalServerVersion parses a server_version.json. Missing or null
// fields are left empty.
func UnmarshalServerVersion(data []byte) (ServerVersion, error) {
	var raw struct {
		ServerType     *string `json:"server_type"`
		ReleaseVersion *string `json:"release_version"`
	}
	dec := newDecoder(data)
	if err := dec.Decode(&raw); err != nil {
		return ServerVersion{}, fmt.Errorf("parse server_version.json: %w", err)
	}
	if err := expectEOF(dec); err != nil {
		return ServerVersion{}, fmt.Errorf("parse server_version.json: %w", err)
	}
	var v ServerVersion
	if raw.ServerType != nil {
		v.ServerType = *raw.ServerType
	}
	if raw.ReleaseVersion != nil {
		v.ReleaseVersion = *raw.ReleaseVersion
	}
	return v, nil
}

// TimestampContent is the content of a started_/finished_ index entry: the
// epoch in decimal, no newline.
func TimestampContent(epoch int64) []byte { return strconv.AppendInt(nil, epoch, 10) }

// BackupNameContent is the content of index/latest_backup/<fqdn>/backup_name.txt.
func BackupNameContent(backup string) []byte { return []byte(backup) }

// ParseBackupNameContent reads backup_name.txt. Medusa writes no newline;
// one trailing newline is tolerated.
func ParseBackupNameContent(data []byte) string {
	s := strings.TrimSuffix(string(data), "\n")
	return strings.TrimSuffix(s, "\r")
}
