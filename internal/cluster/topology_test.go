package cluster

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/cassandra"
)

type listerFunc func() ([]cassandra.ClusterNode, error)

func (f listerFunc) ClusterNodes(context.Context, time.Duration) ([]cassandra.ClusterNode, error) {
	return f()
}

// TestDiscoverSortsAndNames: nodes of every datacenter, named by the
// naming rule, sorted by dc, rack, first token (numerically, not as text).
func TestDiscoverSortsAndNames(t *testing.T) {
	src := listerFunc(func() ([]cassandra.ClusterNode, error) {
		return []cassandra.ClusterNode{
			{IP: "10.0.2.1", DC: "dc2", Rack: "r1", Tokens: []string{"5"}, Up: true},
			{IP: "10.0.1.3", DC: "dc1", Rack: "r1", Tokens: []string{"900", "-100"}, Up: true},
			{IP: "10.0.1.1", DC: "dc1", Rack: "r1", Tokens: []string{"20"}, Up: false},
			{IP: "10.0.1.2", DC: "dc1", Rack: "r0", Tokens: []string{"1000"}, Up: true},
		}, nil
	})
	name := func(_ context.Context, ip string) string { return "n" + strings.ReplaceAll(ip, ".", "-") }
	topo, err := Discover(t.Context(), "seed", src, name)
	if err != nil {
		t.Fatal(err)
	}
	var hosts, down []string
	first := map[string]string{}
	for _, n := range topo.Nodes {
		hosts = append(hosts, n.Host)
		first[n.Host] = n.FirstToken()
		if !n.Up {
			down = append(down, n.IP)
		}
	}
	if want := []string{"n10-0-1-2", "n10-0-1-3", "n10-0-1-1", "n10-0-2-1"}; !slices.Equal(hosts, want) {
		t.Errorf("order %v, want %v", hosts, want)
	}
	if !slices.Equal(down, []string{"10.0.1.1"}) {
		t.Errorf("down %v", down)
	}
	if got := topo.DCs(); !slices.Equal(got, []string{"dc1", "dc2"}) {
		t.Errorf("dcs %v", got)
	}
	if first["n10-0-1-3"] != "-100" {
		t.Errorf("first token %q", first["n10-0-1-3"])
	}
}

func TestDiscoverDuplicateNames(t *testing.T) {
	src := listerFunc(func() ([]cassandra.ClusterNode, error) {
		return []cassandra.ClusterNode{{IP: "10.0.0.1", Tokens: []string{"1"}}, {IP: "10.0.0.2", Tokens: []string{"2"}}}, nil
	})
	_, err := Discover(t.Context(), "seed", src, func(context.Context, string) string { return "same" })
	if err == nil || !strings.Contains(err.Error(), "resolve_ip_addresses") {
		t.Errorf("err = %v", err)
	}
}

// TestPreflightNamesEveryNode: down nodes, unreachable hosts and failing
// probes are all named, each with its own reason.
func TestPreflightNamesEveryNode(t *testing.T) {
	ex := newRecExec()
	ex.checkErr["b"] = errors.New("b: ssh: handshake failed: knownhosts: key is unknown")
	nodes := []Node{{Host: "a", Up: true}, {Host: "b", Up: true}, {Host: "c", Up: false, IP: "10.0.0.3"}, {Host: "d", Up: true}}
	probe := func(_ context.Context, n Node) error {
		if n.Host == "d" {
			return errors.New("medusa: command not found")
		}
		return nil
	}
	err := Preflight(t.Context(), ex, nodes, probe)
	var ne *NodesError
	if !errors.As(err, &ne) {
		t.Fatalf("err = %v", err)
	}
	var hosts []string
	for _, p := range ne.Problems {
		hosts = append(hosts, p.Host)
	}
	if !slices.Equal(hosts, []string{"b", "c", "d"}) {
		t.Errorf("problems %v", hosts)
	}
	msg := err.Error()
	for _, s := range []string{"knownhosts", "reports the node down", "command not found", "nothing was changed"} {
		if !strings.Contains(msg, s) {
			t.Errorf("error lacks %q:\n%s", s, msg)
		}
	}
	if err := Preflight(t.Context(), ex, nodes[:1], probe); err != nil {
		t.Errorf("healthy: %v", err)
	}
}
