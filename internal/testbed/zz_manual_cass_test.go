package testbed

import (
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestZZManualCassandra(t *testing.T) {
	dir := os.Getenv("ZZ_CASS_DIR")
	if dir == "" {
		t.Skip()
	}
	c, err := StartCluster(t.Context(), CassandraOptions{Nodes: 2, Dir: dir, Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(c.Nodes[0].JMXPort)
}

func TestZZCQL(t *testing.T) {
	stmts := os.Getenv("ZZ_CQL")
	if stmts == "" {
		t.Skip()
	}
	n := &Node{Index: 1, Host: "127.0.0.1", NativePort: atoiZZ(os.Getenv("ZZ_PORT"))}
	s, err := n.NewSession("")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, q := range strings.Split(stmts, ";") {
		q = strings.TrimSpace(q)
		if q == "" {
			continue
		}
		if strings.HasPrefix(strings.ToUpper(q), "SELECT") {
			it := s.Query(q).Iter()
			rows, _ := it.SliceMap()
			t.Logf("%s -> %v (%v)", q, rows, it.Close())
			continue
		}
		if err := s.Query(q).Exec(); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func atoiZZ(s string) int { v, _ := strconv.Atoi(s); return v }
