package cassandra

import (
	"context"
	"fmt"
	"strings"

	"github.com/medusa-go/medusa/internal/layout"
)

// ExcludedKeyspaces are left out of schema.cql and of the snapshot walk,
// as in Medusa (CqlSession.EXCLUDED_KEYSPACES).
var ExcludedKeyspaces = []string{"system_traces"}

func excludedKeyspace(ks string) bool {
	for _, e := range ExcludedKeyspaces {
		if ks == e {
			return true
		}
	}
	return false
}

// SchemaCQL returns the schema to store as meta/schema.cql: every keyspace
// but system_traces (system and virtual keyspaces included), each
// keyspace's statements in the server's order, statements and keyspaces
// separated by one blank line, no trailing newline.
//
// The statements come from the server-side DESCRIBE FULL SCHEMA (Cassandra
// 4.0 and later; rows of keyspace_name, type, name, create_statement),
// which was modelled on the Python driver's output. Medusa writes
// KeyspaceMetadata.export_as_string() of the Python driver instead. Both
// give, per keyspace: CREATE KEYSPACE (with the same double space before
// "AND durable_writes"), types, functions, aggregates, then each table
// followed by its indexes and materialized views; virtual keyspaces and
// tables are commented out ("/*\nWarning: ... */"). Differences a reader
// must tolerate: keyspace order (server: by name; Medusa: driver metadata
// order), the table options listed (the server adds newer ones such as
// memtable or allow_auto_snapshot), SAI indexes rendered as
// "CREATE CUSTOM INDEX ... USING 'sai'" and the spacing inside
// statements. A reader should split on ";" ending a line and skip
// comment blocks.
func (s *Session) SchemaCQL(ctx context.Context) (string, error) {
	iter := s.Query("DESCRIBE FULL SCHEMA").PageSize(1000).IterContext(ctx)
	var ks, typ, name, stmt string
	// Virtual keyspaces (whose statements are comment blocks) go last, as
	// in the Python driver's metadata: Medusa's schema parser loses a
	// CREATE KEYSPACE that follows a comment block.
	var regular, virtual []string
	virtualKS := map[string]bool{}
	for iter.Scan(&ks, &typ, &name, &stmt) {
		if excludedKeyspace(ks) {
			continue
		}
		stmt = strings.TrimRight(stmt, "\n")
		if typ == "keyspace" && strings.HasPrefix(stmt, "/*") {
			virtualKS[ks] = true
		}
		if virtualKS[ks] {
			virtual = append(virtual, stmt)
		} else {
			regular = append(regular, stmt)
		}
	}
	if err := iter.Close(); err != nil {
		return "", fmt.Errorf("cql %s: DESCRIBE FULL SCHEMA (needs Cassandra 4.0 or later): %w", s.addr, err)
	}
	if len(regular)+len(virtual) == 0 {
		return "", fmt.Errorf("cql %s: DESCRIBE FULL SCHEMA returned no statements", s.addr)
	}
	return strings.Join(append(regular, virtual...), "\n\n"), nil
}

// LocalNode is what system.local says about the node.
type LocalNode struct {
	HostID         string
	DataCenter     string
	Rack           string
	ClusterName    string
	Partitioner    string
	ReleaseVersion string
	DSEVersion     string // "" unless the table has a dse_version column with a value
	HasDSEColumn   bool   // system.local has a dse_version column (DSE)
	Tokens         []string
}

// Local reads system.local on the local node.
func (s *Session) Local(ctx context.Context) (LocalNode, error) {
	iter := s.Query("SELECT * FROM system.local WHERE key = 'local'").IterContext(ctx)
	row := map[string]any{}
	ok := iter.MapScan(row)
	if err := iter.Close(); err != nil {
		return LocalNode{}, fmt.Errorf("cql %s: read system.local: %w", s.addr, err)
	}
	if !ok {
		return LocalNode{}, fmt.Errorf("cql %s: system.local has no row", s.addr)
	}
	var l LocalNode
	l.HostID = fmt.Sprint(row["host_id"])
	l.DataCenter, _ = row["data_center"].(string)
	l.Rack, _ = row["rack"].(string)
	l.ClusterName, _ = row["cluster_name"].(string)
	l.Partitioner, _ = row["partitioner"].(string)
	l.ReleaseVersion, _ = row["release_version"].(string)
	_, l.HasDSEColumn = row["dse_version"]
	l.DSEVersion, _ = row["dse_version"].(string)
	l.Tokens, _ = row["tokens"].([]string)
	return l, nil
}

// ServerVersion is meta/server_version.json: release_version of
// system.local, server type "dse" when system.local has a dse_version
// column (Medusa's rule), else "cassandra".
func (s *Session) ServerVersion(ctx context.Context) (layout.ServerVersion, error) {
	l, err := s.Local(ctx)
	if err != nil {
		return layout.ServerVersion{}, err
	}
	v := layout.ServerVersion{ServerType: layout.ServerTypeCassandra, ReleaseVersion: l.ReleaseVersion}
	if l.HasDSEColumn {
		v.ServerType = layout.ServerTypeDSE
	}
	return v, nil
}
