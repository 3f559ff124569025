package layout

import (
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"sort"
	"strconv"
	"strings"
)

// Helpers only the tests use: the product does not reach them, so they
// live here and the dead-code check of cmd/medusa stays empty.

// FilterNode returns the node backups of fqdn (exact match).
func FilterNode(nodes []NodeBackup, fqdn string) []NodeBackup {
	var out []NodeBackup
	for _, n := range nodes {
		if n.FQDN == fqdn {
			out = append(out, n)
		}
	}
	return out
}

// SortNodeBackupsByStart orders node backups oldest first (stable; node
// backups without a start time go last), the order purge and Medusa's
// list_node_backups use.
func SortNodeBackupsByStart(nodes []NodeBackup) {
	sort.SliceStable(nodes, func(i, j int) bool {
		a, b := nodes[i].Started, nodes[j].Started
		return a != nil && (b == nil || *a < *b)
	})
}

// Prefix returns the prefix without its trailing slash ("" when none).
func (l Layout) Prefix() string { return strings.TrimSuffix(l.p, "/") }

// RestoreVerifyQueryKey returns P<fqdn>/<backup>/meta/restore_verify_query.json
// (a path Medusa defines but never writes).
func (l Layout) RestoreVerifyQueryKey(fqdn, backup string) string {
	return l.MetaKey(fqdn, backup, RestoreVerifyQueryFile)
}

// SafeTableName returns the table name Medusa uses to match files of the
// differential pool: the table dir, or "<table dir>.<subdir>" for index
// and DSE sub-directories (so ".idx" gives "<table dir>..idx").
func (r DataRef) SafeTableName() string {
	if r.SubDir == "" {
		return r.TableDir
	}
	return r.TableDir + "." + r.SubDir
}

// DataKey returns the object key of r:
// P<fqdn>/[<backup>/]data/<keyspace>/<table dir>/[<subdir>/]<file>.
// The same string is the "path" recorded in manifest.json.
func (l Layout) DataKey(r DataRef) string {
	k := l.TablePrefix(r.FQDN, r.Backup, r.Keyspace, r.TableDir)
	if r.SubDir != "" {
		k += r.SubDir + "/"
	}
	return k + r.File
}

// WriteManifest writes MarshalManifest(m) to w.
func WriteManifest(w io.Writer, m Manifest) error {
	_, err := w.Write(MarshalManifest(m))
	return err
}

// ReadManifest reads and parses a manifest from r.
func ReadManifest(r io.Reader) (Manifest, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	return UnmarshalManifest(data)
}

// ParseTimestampContent parses the content of a started_/finished_ entry.
func ParseTimestampContent(data []byte) (int64, error) {
	epoch, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse timestamp %q: %w", data, err)
	}
	return epoch, nil
}

// Int64Token returns the token literal of a Murmur3 token.
func Int64Token(t int64) json.Number { return json.Number(strconv.FormatInt(t, 10)) }

// BigToken returns the token literal of a RandomPartitioner token.
func BigToken(t *big.Int) json.Number { return json.Number(t.String()) }

// ReadTokenmap reads and parses a tokenmap from r.
func ReadTokenmap(r io.Reader) (Tokenmap, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return Tokenmap{}, fmt.Errorf("read tokenmap: %w", err)
	}
	return UnmarshalTokenmap(data)
}
