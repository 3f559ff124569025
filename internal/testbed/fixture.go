package testbed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"golang.org/x/sync/errgroup"
	"gopkg.in/inf.v0"
)

// FixtureKeyspaces are the keyspaces CreateFixtureSchema creates.
var FixtureKeyspaces = []string{"fx_shop", "fx_logs"}

// FixtureSchema is the shared CQL fixture of backup and restore tests:
// two keyspaces with a user-defined type, a legacy secondary index (its
// files live in a ".users_email_idx" dot directory), an SAI index (files
// beside the SSTables), a materialized view, a counter table, a table with
// a descending clustering order and a table that stays empty.
var FixtureSchema = []string{
	`CREATE KEYSPACE IF NOT EXISTS fx_shop WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
	`CREATE KEYSPACE IF NOT EXISTS fx_logs WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
	`CREATE TYPE IF NOT EXISTS fx_shop.address (street text, city text, zip int)`,
	`CREATE TABLE IF NOT EXISTS fx_shop.users (id int PRIMARY KEY, name text, email text, age int,
		home frozen<address>, tags set<text>)`,
	`CREATE INDEX IF NOT EXISTS users_email_idx ON fx_shop.users (email)`,
	`CREATE MATERIALIZED VIEW IF NOT EXISTS fx_shop.users_by_name AS
		SELECT * FROM fx_shop.users WHERE name IS NOT NULL AND id IS NOT NULL PRIMARY KEY (name, id)`,
	`CREATE TABLE IF NOT EXISTS fx_shop.orders (user_id int, order_id int, item text, qty int, price decimal,
		PRIMARY KEY (user_id, order_id))`,
	`CREATE INDEX IF NOT EXISTS orders_item_sai ON fx_shop.orders (item) USING 'sai'`,
	`CREATE TABLE IF NOT EXISTS fx_shop.page_views (page text PRIMARY KEY, views counter)`,
	`CREATE TABLE IF NOT EXISTS fx_logs.lines (bucket int, seq int, line text, attrs map<text, text>,
		PRIMARY KEY (bucket, seq)) WITH CLUSTERING ORDER BY (seq DESC)`,
	`CREATE TABLE IF NOT EXISTS fx_logs.empty_table (k text PRIMARY KEY, v blob)`,
}

// CreateFixtureSchema creates the FixtureSchema objects (idempotent).
func CreateFixtureSchema(ctx context.Context, s *gocql.Session) error {
	for _, stmt := range FixtureSchema {
		if err := s.Query(stmt).ExecContext(ctx); err != nil {
			return fmt.Errorf("fixture schema: %s: %w", firstLine(stmt), err)
		}
	}
	return nil
}

// WriteRows writes rows 0..n-1 of every fixture table; see WriteRowsFrom.
func WriteRows(ctx context.Context, s *gocql.Session, n int) error {
	return WriteRowsFrom(ctx, s, 0, n)
}

// WriteRowsFrom upserts rows start..start+n-1 into every fixture table but
// empty_table: users (and through it the view and the index), orders (two
// per user), entries, and adds 1 to the counter of page i%50 for each i.
// Values are derived from the row number, so rewriting a row leaves plain
// tables unchanged; counters, by nature, keep growing.
func WriteRowsFrom(ctx context.Context, s *gocql.Session, start, n int) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i := start; i < start+n; i++ {
		g.Go(func() error { return writeFixtureRow(ctx, s, i) })
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("fixture rows %d..%d: %w", start, start+n-1, err)
	}
	return nil
}

func writeFixtureRow(ctx context.Context, s *gocql.Session, i int) error {
	type addr struct {
		Street string `cql:"street"`
		City   string `cql:"city"`
		Zip    int    `cql:"zip"`
	}
	home := addr{Street: fmt.Sprintf("%d Main St", i), City: []string{"Paris", "Lyon", "Nice"}[i%3], Zip: 75000 + i%100}
	stmts := []struct {
		q    string
		args []any
	}{
		{`INSERT INTO fx_shop.users (id, name, email, age, home, tags) VALUES (?, ?, ?, ?, ?, ?)`,
			[]any{i, fmt.Sprintf("user%05d", i), fmt.Sprintf("user%d@example.com", i), 18 + i%60, home,
				[]string{"t" + fmt.Sprint(i%7), "all"}}},
		{`INSERT INTO fx_shop.orders (user_id, order_id, item, qty, price) VALUES (?, ?, ?, ?, ?)`,
			[]any{i, 1, fmt.Sprintf("item%d", i%20), 1 + i%5, price(i)}},
		{`INSERT INTO fx_shop.orders (user_id, order_id, item, qty, price) VALUES (?, ?, ?, ?, ?)`,
			[]any{i, 2, fmt.Sprintf("item%d", (i+7)%20), 2, price(i + 3)}},
		{`UPDATE fx_shop.page_views SET views = views + 1 WHERE page = ?`, []any{fmt.Sprintf("/page/%d", i%50)}},
		{`INSERT INTO fx_logs.lines (bucket, seq, line, attrs) VALUES (?, ?, ?, ?)`,
			[]any{i % 10, i, strings.Repeat(fmt.Sprintf("log line %d ", i), 1+i%4),
				map[string]string{"host": fmt.Sprintf("h%d", i%3), "level": "info"}}},
	}
	for _, st := range stmts {
		if err := s.Query(st.q, st.args...).ExecContext(ctx); err != nil {
			return fmt.Errorf("%s: %w", firstLine(st.q), err)
		}
	}
	return nil
}

// price returns the decimal i.50.
func price(i int) *inf.Dec { return inf.NewDec(int64(i)*100+50, 2) }

// TableChecksums returns, for every table of keyspaces ("ks.table"; views
// excluded), "<rows>:<sha256>" over its rows rendered by SELECT JSON,
// independent of row order. Restore tests compare the map before and after.
func TableChecksums(ctx context.Context, s *gocql.Session, keyspaces []string) (map[string]string, error) {
	out := map[string]string{}
	for _, ks := range keyspaces {
		iter := s.Query(`SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?`, ks).IterContext(ctx)
		var tables []string
		var t string
		for iter.Scan(&t) {
			tables = append(tables, t)
		}
		if err := iter.Close(); err != nil {
			return nil, fmt.Errorf("list tables of %s: %w", ks, err)
		}
		for _, t := range tables {
			sum, err := TableChecksum(ctx, s, ks, t)
			if err != nil {
				return nil, err
			}
			out[ks+"."+t] = sum
		}
	}
	return out, nil
}

// TableChecksum returns "<rows>:<sha256>" of one table or view.
func TableChecksum(ctx context.Context, s *gocql.Session, ks, table string) (string, error) {
	q := fmt.Sprintf(`SELECT JSON * FROM %s.%s`, quoteIdent(ks), quoteIdent(table))
	iter := s.Query(q).PageSize(500).IterContext(ctx)
	var rows []string
	var row string
	for iter.Scan(&row) {
		h := sha256.Sum256([]byte(row))
		rows = append(rows, hex.EncodeToString(h[:]))
	}
	if err := iter.Close(); err != nil {
		return "", fmt.Errorf("checksum %s.%s: %w", ks, table, err)
	}
	sort.Strings(rows)
	h := sha256.New()
	for _, r := range rows {
		h.Write([]byte(r))
	}
	return fmt.Sprintf("%d:%x", len(rows), h.Sum(nil)), nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// WriteRowsAndFlush writes fixture rows start..start+count-1 on node n
// (WriteRowsFrom) and flushes them into new SSTables.
func WriteRowsAndFlush(ctx context.Context, n *Node, start, count int) error {
	s, err := n.NewSession("")
	if err != nil {
		return err
	}
	defer s.Close()
	if err := WriteRowsFrom(ctx, s, start, count); err != nil {
		return err
	}
	_, err = n.Nodetool(ctx, "flush")
	return err
}
