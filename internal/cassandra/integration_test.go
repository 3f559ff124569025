package cassandra

import (
	"context"
	"fmt"
	"net"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/testbed"
)

// fixtureOnce loads the shared fixture (schema + 200 rows, flushed) once.
func loadFixture(t *testing.T, n *testbed.Node) {
	t.Helper()
	s, err := n.NewSession("")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	if err := testbed.CreateFixtureSchema(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := testbed.WriteRows(ctx, s, 200); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Nodetool(ctx, "flush"); err != nil {
		t.Fatal(err)
	}
}

func TestCassandraIntegration(t *testing.T) {
	n := testNode(t)
	loadFixture(t, n)
	t.Run("connect errors", func(t *testing.T) { testConnectErrors(t, n) })
	t.Run("schema", func(t *testing.T) { testSchemaCQL(t, n) })
	t.Run("token map", func(t *testing.T) { testTokenMap(t, n) })
	t.Run("server version", func(t *testing.T) { testServerVersion(t, n) })
	t.Run("tls", func(t *testing.T) { testTLS(t, n) })
	t.Run("nodetool snapshot", func(t *testing.T) { testNodetoolSnapshot(t, n) })
	t.Run("fixture checksums", func(t *testing.T) { testFixtureChecksums(t, n) })
}

func testConnectErrors(t *testing.T, n *testbed.Node) {
	o := testCQLOptions(t, n)
	o.Password = "not-the-password-42"
	_, err := Connect(t.Context(), o)
	if err == nil {
		t.Fatal("Connect with a wrong password succeeded")
	}
	msg := err.Error()
	addr := net.JoinHostPort(n.Host, fmt.Sprint(n.NativePort))
	if strings.Contains(msg, o.Password) || !strings.Contains(msg, addr) || !strings.Contains(msg, "try 1 of 2") {
		t.Errorf("wrong password: error = %q; want %s, no retry, no password", msg, addr)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().(*net.TCPAddr).Port
	l.Close()
	o = testCQLOptions(t, n)
	o.Port = closed
	_, err = Connect(t.Context(), o)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("127.0.0.1:%d (try 2 of 2)", closed)) {
		t.Errorf("closed port: error = %v; want two tries naming the address", err)
	}
	if err != nil && strings.Contains(err.Error(), testbed.CassandraPassword) {
		t.Errorf("error shows the password: %v", err)
	}
}

func testSchemaCQL(t *testing.T, n *testbed.Node) {
	s := testSession(t, testCQLOptions(t, n))
	schema, err := s.SchemaCQL(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"CREATE KEYSPACE fx_shop WITH replication = {'class': 'SimpleStrategy', 'replication_factor': '1'}  AND durable_writes = true;",
		"CREATE KEYSPACE fx_logs",
		"CREATE TYPE fx_shop.address (\n    street text,\n    city text,\n    zip int\n);",
		"CREATE TABLE fx_shop.users (",
		"home frozen<address>",
		"CREATE INDEX users_email_idx ON fx_shop.users (email);",
		"CREATE CUSTOM INDEX orders_item_sai ON fx_shop.orders (item) USING 'sai';",
		"CREATE MATERIALIZED VIEW fx_shop.users_by_name AS",
		"views counter",
		"WITH CLUSTERING ORDER BY (seq DESC)",
		"CREATE KEYSPACE system_auth",
		"CREATE TABLE system_schema.tables (",
		"CREATE KEYSPACE system_distributed",
		"VIRTUAL KEYSPACE system_views;\n*/",
	} {
		if !strings.Contains(schema, want) {
			t.Errorf("schema.cql lacks %q", want)
		}
	}
	if strings.Contains(schema, "system_traces") {
		t.Error("schema.cql contains system_traces")
	}
	if strings.Contains(schema, "\n\n\n") || strings.HasSuffix(schema, "\n") {
		t.Error("statements must be separated by exactly one blank line, without a trailing newline")
	}
	// Every statement ends with ";" right before the blank line.
	for i, stmt := range strings.Split(schema, "\n\n") {
		if !strings.HasSuffix(stmt, ";") && !strings.HasSuffix(stmt, "*/") {
			t.Errorf("statement %d does not end with ';': %q", i, stmt)
			break
		}
	}
	if out := os.Getenv("MEDUSA_TEST_SCHEMA_OUT"); out != "" {
		_ = os.WriteFile(out, []byte(schema), 0o644)
	}
	t.Logf("schema.cql: %d bytes, %d statements", len(schema), strings.Count(schema, "\n\n")+1)
}

func testTokenMap(t *testing.T, n *testbed.Node) {
	s := testSession(t, testCQLOptions(t, n))
	ctx := t.Context()
	tm, err := s.TokenMap(ctx, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if tm.Len() != 1 || tm.Hosts[0].Host != n.Host {
		t.Fatalf("hosts = %v, want [%s]", tm.HostNames(), n.Host)
	}
	h := tm.Hosts[0]
	if h.IsUp == nil || !*h.IsUp || h.DC == nil || *h.DC != "datacenter1" || h.Rack == nil || *h.Rack != "rack1" {
		t.Errorf("host = %+v, want up, datacenter1, rack1", h)
	}
	// The tokens are those of system.local and of nodetool ring.
	local, err := s.Local(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(h.TokenStrings(), local.Tokens) || len(local.Tokens) != 4 {
		t.Errorf("tokens = %v, system.local = %v (want 4)", h.TokenStrings(), local.Tokens)
	}
	ring, err := n.Nodetool(ctx, "ring")
	if err != nil {
		t.Fatal(err)
	}
	ringTokens := regexp.MustCompile(`(?m)^127\.0\.0\.1\s.*\s(-?\d+)\s*$`).FindAllStringSubmatch(ring, -1)
	var fromRing []string
	for _, m := range ringTokens {
		fromRing = append(fromRing, m[1])
	}
	slices.Sort(fromRing)
	got := slices.Clone(h.TokenStrings())
	slices.Sort(got)
	if !reflect.DeepEqual(got, fromRing) {
		t.Errorf("tokens %v differ from nodetool ring %v", got, fromRing)
	}
	js, err := layout.MarshalTokenmap(tm)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`{"127.0.0.1": {"tokens": [%s], "is_up": true, "rack": "rack1", "dc": "datacenter1"}}`,
		strings.Join(local.Tokens, ", "))
	if string(js) != want {
		t.Errorf("tokenmap.json = %s\nwant %s", js, want)
	}

	named, err := s.TokenMap(ctx, fakeDNS{"127.0.0.1": {"cass-1.example.com.", "localhost"}}, true)
	if err != nil || named.HostNames()[0] != "cass-1.example.com" {
		t.Errorf("resolved token map: %v, %v", named.HostNames(), err)
	}
}

func testServerVersion(t *testing.T, n *testbed.Node) {
	s := testSession(t, testCQLOptions(t, n))
	v, err := s.ServerVersion(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if v.ServerType != "cassandra" || !strings.HasPrefix(v.ReleaseVersion, "5.0.") {
		t.Errorf("server version = %+v, want cassandra 5.0.x", v)
	}
	if got := string(layout.MarshalServerVersion(v)); got != `{"server_type": "cassandra", "release_version": "`+v.ReleaseVersion+`"}` {
		t.Errorf("server_version.json = %s", got)
	}
}

func testTLS(t *testing.T, n *testbed.Node) {
	p := pki
	tests := []struct {
		name          string
		ca, cert, key string
		wantErr       string
	}{
		{"client certificate", p.CA, p.ClientCert, p.ClientKey, ""},
		{"unknown server CA", p.OtherCA, p.ClientCert, p.ClientKey, "certificate"},
		{"no client certificate", p.CA, "", "", "cql connect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := testCQLOptions(t, n)
			o.CAFile, o.CertFile, o.KeyFile = tt.ca, tt.cert, tt.key
			o.Backoff.Attempts = 1
			s, err := Connect(t.Context(), o)
			if tt.wantErr != "" {
				if err == nil {
					s.Close()
					t.Fatalf("Connect succeeded, want an error with %q", tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), o.Password) {
					t.Fatalf("error = %v, want %q and no password", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			v, err := s.ServerVersion(t.Context())
			if err != nil || !strings.HasPrefix(v.ReleaseVersion, "5.0") {
				t.Fatalf("over TLS: %+v, %v", v, err)
			}
			var tlsClients int
			it := s.Query("SELECT ssl_enabled FROM system_views.clients").IterContext(t.Context())
			var on bool
			for it.Scan(&on) {
				if on {
					tlsClients++
				}
			}
			if err := it.Close(); err != nil || tlsClients == 0 {
				t.Errorf("system_views.clients lists %d TLS clients (err %v), want at least 1", tlsClients, err)
			}
		})
	}
}

func testNodetoolSnapshot(t *testing.T, n *testbed.Node) {
	ctx := t.Context()
	snap := NodetoolSnapshotter{Nodetool: Nodetool{Options: NodetoolOptions{
		Executable: n.NodetoolPath, Flags: []string{"-Dcom.sun.jndi.rmiURLParsing=legacy"},
	}}}
	const tag = "medusa-it-backup"
	if SnapshotExists(n.DataDir, tag) {
		t.Fatal("snapshot exists before Create")
	}
	if err := snap.Create(ctx, tag); err != nil {
		t.Fatal(err)
	}
	if !SnapshotExists(n.DataDir, tag) {
		t.Fatal("SnapshotExists = false after Create")
	}
	tables, err := FindSnapshot(n.DataDir, tag)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]TableSnapshot{}
	for _, ts := range tables {
		if ts.Keyspace == "system_traces" {
			t.Errorf("system_traces listed: %s", ts.Dir)
		}
		byName[ts.Keyspace+"."+ts.Table()] = ts
		for _, f := range ts.Files {
			st, err := os.Stat(f.Path)
			if err != nil || st.Size() != f.Size {
				t.Errorf("%s: size %d, disk %v %v", f.Path, f.Size, st, err)
			}
			if f.RelPath == "manifest.json" || f.RelPath == "schema.cql" {
				t.Errorf("%s listed", f.Path)
			}
		}
	}
	for _, want := range []string{"fx_shop.users", "fx_shop.orders", "fx_shop.page_views", "fx_shop.users_by_name",
		"fx_logs.lines", "system.local", "system_schema.tables"} {
		if len(byName[want].Files) == 0 {
			t.Errorf("%s: no files in the snapshot (tables: %d)", want, len(tables))
		}
	}
	users := byName["fx_shop.users"]
	if !hasFile(users, func(p string) bool {
		return strings.HasPrefix(p, ".users_email_idx/") && strings.HasSuffix(p, "-Data.db")
	}) {
		t.Errorf("fx_shop.users: no 2i file in .users_email_idx/: %v", relPaths(users))
	}
	orders := byName["fx_shop.orders"]
	if !hasFile(orders, func(p string) bool { return strings.Contains(p, "SAI+") && strings.Contains(p, "orders_item_sai") }) {
		t.Errorf("fx_shop.orders: no SAI component: %v", relPaths(orders))
	}
	if !hasFile(users, func(p string) bool { return strings.HasSuffix(p, "-Data.db") && !strings.Contains(p, "/") }) {
		t.Errorf("fx_shop.users: no Data.db at the root: %v", relPaths(users))
	}
	// A table without SSTables still has a snapshot directory (Cassandra's
	// manifest.json and schema.cql, both left out): it is listed, empty.
	if et, ok := byName["fx_logs.empty_table"]; !ok || len(et.Files) != 0 {
		t.Errorf("fx_logs.empty_table: listed %v with files %v, want listed without files", ok, relPaths(et))
	}
	if err := snap.Clear(ctx, tag); err != nil {
		t.Fatal(err)
	}
	if SnapshotExists(n.DataDir, tag) {
		t.Error("snapshot still exists after Clear")
	}
	if left, err := FindSnapshot(n.DataDir, tag); err != nil || len(left) != 0 {
		t.Errorf("after Clear: %d tables, %v", len(left), err)
	}
}

func testFixtureChecksums(t *testing.T, n *testbed.Node) {
	s, err := n.NewSession("")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	before, err := testbed.TableChecksums(ctx, s, testbed.FixtureKeyspaces)
	if err != nil {
		t.Fatal(err)
	}
	for _, tbl := range []string{"fx_shop.users", "fx_shop.orders", "fx_shop.page_views", "fx_logs.lines", "fx_logs.empty_table"} {
		if _, ok := before[tbl]; !ok {
			t.Errorf("no checksum for %s: %v", tbl, before)
		}
	}
	if _, ok := before["fx_shop.users_by_name"]; ok {
		t.Error("views must not be in TableChecksums")
	}
	if !strings.HasPrefix(before["fx_shop.users"], "200:") || !strings.HasPrefix(before["fx_shop.orders"], "400:") ||
		!strings.HasPrefix(before["fx_logs.empty_table"], "0:") {
		t.Errorf("row counts: %v", before)
	}
	// Rewriting the same rows changes nothing but the counters.
	if err := testbed.WriteRows(ctx, s, 200); err != nil {
		t.Fatal(err)
	}
	after, err := testbed.TableChecksums(ctx, s, testbed.FixtureKeyspaces)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range before {
		if changed := after[k] != v; changed != (k == "fx_shop.page_views") {
			t.Errorf("%s: before %s after %s", k, v, after[k])
		}
	}
	if err := testbed.WriteRowsFrom(ctx, s, 200, 1); err != nil {
		t.Fatal(err)
	}
	if sum, err := testbed.TableChecksum(ctx, s, "fx_shop", "users"); err != nil || !strings.HasPrefix(sum, "201:") {
		t.Errorf("users after one more row: %s %v", sum, err)
	}
}

func hasFile(ts TableSnapshot, ok func(string) bool) bool {
	return slices.ContainsFunc(ts.Files, func(f SnapshotFile) bool { return ok(f.RelPath) })
}

func relPaths(ts TableSnapshot) []string {
	var out []string
	for _, f := range ts.Files {
		out = append(out, f.RelPath)
	}
	return out
}

type fakeDNS map[string][]string

func (f fakeDNS) LookupAddr(_ context.Context, addr string) ([]string, error) {
	if names, ok := f[addr]; ok {
		return names, nil
	}
	return nil, &net.DNSError{Err: "not found", Name: addr, IsNotFound: true}
}
