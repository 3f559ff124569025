package layout

import (
	"encoding/json"
	"fmt"
	"sort"
)

// DroppedColumn is one row of system_schema.dropped_columns at backup time:
// a column that was dropped from a table. SSTables written before the drop
// may still hold its cells; a table re-created from schema.cql knows
// nothing of the column, and Cassandra then refuses to read those SSTables
// ("Unknown column ... during deserialization"), which is why a restore
// into a re-created table replays the drop.
type DroppedColumn struct {
	Keyspace string `json:"keyspace"`
	Table    string `json:"table"`
	Column   string `json:"column"`
	// Type is the column's CQL type as Cassandra recorded it (user types
	// are recorded expanded to tuples).
	Type string `json:"type"`
	// Kind is "regular" or "static".
	Kind string `json:"kind"`
	// DroppedTime is the drop's write time in microseconds since the epoch,
	// the unit of ALTER TABLE ... DROP ... USING TIMESTAMP (Cassandra keeps
	// it with millisecond precision).
	DroppedTime int64 `json:"dropped_time"`
}

// MarshalDroppedColumns renders meta/dropped_columns.json: a JSON array
// sorted by keyspace, table and column, one object per dropped column
// ("[]" when there is none).
func MarshalDroppedColumns(cols []DroppedColumn) ([]byte, error) {
	out := append([]DroppedColumn{}, cols...)
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Keyspace != b.Keyspace {
			return a.Keyspace < b.Keyspace
		}
		if a.Table != b.Table {
			return a.Table < b.Table
		}
		return a.Column < b.Column
	})
	return json.MarshalIndent(out, "", "  ")
}

// UnmarshalDroppedColumns parses meta/dropped_columns.json. Every entry
// needs a keyspace, table, column and type.
func UnmarshalDroppedColumns(data []byte) ([]DroppedColumn, error) {
	var cols []DroppedColumn
	if err := json.Unmarshal(data, &cols); err != nil {
		return nil, fmt.Errorf("parse %s: %w", DroppedColumnsFile, err)
	}
	for i, c := range cols {
		if c.Keyspace == "" || c.Table == "" || c.Column == "" || c.Type == "" {
			return nil, fmt.Errorf("parse %s: entry %d lacks its keyspace, table, column or type", DroppedColumnsFile, i)
		}
	}
	return cols, nil
}
