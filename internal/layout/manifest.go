package layout

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// Section is one table directory of a node backup's manifest.json.
type Section struct {
	Keyspace string
	// ColumnFamily is the table directory name including the table id.
	ColumnFamily string
	// Objects lists the table's files; it may be empty (tables without
	// files still get a section).
	Objects []Object
}

// Object is one file of a manifest section.
type Object struct {
	// Path is the full object key, including the storage prefix.
	Path string
	// MD5 is the hash the store reported (see storage.ObjectInfo.Hash); nil
	// is written as null (Medusa's local storage does that for files reused
	// by a differential backup).
	MD5  *string
	Size int64
}

// Manifest is the content of meta/manifest.json: one section per table.
type Manifest []Section

// Stats returns the total size and number of objects, the figures
// list-backups and status report for a finished node backup.
func (m Manifest) Stats() (size, objects int64) {
	for _, s := range m {
		for _, o := range s.Objects {
			size += o.Size
		}
		objects += int64(len(s.Objects))
	}
	return size, objects
}

// MarshalManifest renders m exactly like Medusa's json.dumps(manifest):
// [{"keyspace": ..., "columnfamily": ..., "objects": [{"path": ...,
// "MD5": ..., "size": ...}]}], ", " and ": " separators, no newline at the
// end, non-ASCII escaped as \uXXXX.
func MarshalManifest(m Manifest) []byte {
	b := make([]byte, 0, 256)
	b = append(b, '[')
	for i, s := range m {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = appendPyKey(append(b, '{'), "keyspace", true, true)
		b = appendPyString(b, s.Keyspace, true)
		b = appendPyKey(b, "columnfamily", false, true)
		b = appendPyString(b, s.ColumnFamily, true)
		b = appendPyKey(b, "objects", false, true)
		b = append(b, '[')
		for j, o := range s.Objects {
			if j > 0 {
				b = append(b, ", "...)
			}
			b = appendPyKey(append(b, '{'), "path", true, true)
			b = appendPyString(b, o.Path, true)
			b = appendPyKey(b, "MD5", false, true)
			b = appendPyOptString(b, o.MD5, true)
			b = appendPyKey(b, "size", false, true)
			b = strconv.AppendInt(b, o.Size, 10)
			b = append(b, '}')
		}
		b = append(b, "]}"...)
	}
	return append(b, ']')
}

type manifestObjectJSON struct {
	Path *string     `json:"path"`
	MD5  *string     `json:"MD5"`
	Size json.Number `json:"size"`
}

type manifestSectionJSON struct {
	Keyspace     *string              `json:"keyspace"`
	ColumnFamily *string              `json:"columnfamily"`
	Objects      []manifestObjectJSON `json:"objects"`
}

// UnmarshalManifest parses a manifest.json written by Medusa (any version) or
// by MarshalManifest. "MD5" may be null or absent, "objects" may be null or
// absent; keyspace, columnfamily and every path are required, sizes must be
// integers (absent means 0). For a document Medusa wrote,
// MarshalManifest(UnmarshalManifest(doc)) gives doc back byte for byte.
func UnmarshalManifest(data []byte) (Manifest, error) {
	var raw []manifestSectionJSON
	dec := newDecoder(data)
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("parse manifest: %w", err)
	}
	if err := expectEOF(dec); err != nil {
		return nil, fmt.Errorf("parse manifest: %w", err)
	}
	if raw == nil {
		return nil, fmt.Errorf("parse manifest: not a JSON array")
	}
	m := make(Manifest, len(raw))
	for i, rs := range raw {
		if rs.Keyspace == nil || rs.ColumnFamily == nil {
			return nil, fmt.Errorf("parse manifest: section %d lacks keyspace or columnfamily", i)
		}
		s := Section{Keyspace: *rs.Keyspace, ColumnFamily: *rs.ColumnFamily, Objects: make([]Object, len(rs.Objects))}
		for j, ro := range rs.Objects {
			if ro.Path == nil {
				return nil, fmt.Errorf("parse manifest: %s.%s object %d lacks a path", s.Keyspace, s.ColumnFamily, j)
			}
			o := Object{Path: *ro.Path, MD5: ro.MD5}
			if ro.Size != "" {
				size, err := strconv.ParseInt(ro.Size.String(), 10, 64)
				if err != nil {
					return nil, fmt.Errorf("parse manifest: %s: size %s is not an integer", o.Path, ro.Size)
				}
				o.Size = size
			}
			s.Objects[j] = o
		}
		m[i] = s
	}
	return m, nil
}
