package cluster

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/medusa-go/medusa/internal/cassandra"
	"github.com/medusa-go/medusa/internal/remote"
)

// Node is one node of the cluster as discovered over CQL.
type Node struct {
	// Host is the name medusa gives the node: its identity in the bucket
	// ([storage] fqdn, the keys of tokenmap.json) and the host the
	// orchestrator connects to over SSH.
	Host string
	// IP is the node's CQL address.
	IP     string
	DC     string
	Rack   string
	Tokens []string // decimal token literals, in the server's order
	Up     bool
}

// FirstToken is the node's smallest token ("" without tokens).
func (n Node) FirstToken() string {
	var best *big.Int
	first := ""
	for _, t := range n.Tokens {
		v, ok := new(big.Int).SetString(t, 10)
		if !ok {
			continue
		}
		if best == nil || v.Cmp(best) < 0 {
			best, first = v, t
		}
	}
	return first
}

// Topology is the cluster as seen from the seed: every node of every
// datacenter, sorted by datacenter, rack and first token (then host), so
// that plans built from it are the same on every run.
type Topology struct {
	// Seed is the CQL contact point the topology was read from.
	Seed  string
	Nodes []Node
}

// DCs returns the datacenters, sorted.
func (t Topology) DCs() []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range t.Nodes {
		if !seen[n.DC] {
			seen[n.DC] = true
			out = append(out, n.DC)
		}
	}
	sort.Strings(out)
	return out
}

// NewTopology names and sorts nodes. Two nodes with the same name, or a
// node without a name, are errors: every node must be told apart in the
// bucket and over SSH.
func NewTopology(seed string, nodes []Node) (Topology, error) {
	out := append([]Node(nil), nodes...)
	SortNodes(out)
	seen := map[string]string{}
	for _, n := range out {
		if n.Host == "" {
			return Topology{}, fmt.Errorf("node %s has no host name", n.IP)
		}
		if other, dup := seen[n.Host]; dup {
			return Topology{}, fmt.Errorf("nodes %s and %s are both named %q: set [cassandra] resolve_ip_addresses "+
				"so that every node has its own name", other, n.IP, n.Host)
		}
		seen[n.Host] = n.IP
	}
	return Topology{Seed: seed, Nodes: out}, nil
}

// SortNodes sorts by datacenter, rack, first token (numerically), host.
func SortNodes(nodes []Node) {
	sort.SliceStable(nodes, func(i, j int) bool {
		a, b := nodes[i], nodes[j]
		if a.DC != b.DC {
			return a.DC < b.DC
		}
		if a.Rack != b.Rack {
			return a.Rack < b.Rack
		}
		if c := compareTokens(a.FirstToken(), b.FirstToken()); c != 0 {
			return c < 0
		}
		return a.Host < b.Host
	})
}

// compareTokens compares decimal tokens numerically; "" sorts last.
func compareTokens(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == "":
		return 1
	case b == "":
		return -1
	}
	x, okx := new(big.Int).SetString(a, 10)
	y, oky := new(big.Int).SetString(b, 10)
	if !okx || !oky {
		return strings.Compare(a, b)
	}
	return x.Cmp(y)
}

// NodeProblem is why one node cannot take part.
type NodeProblem struct {
	Host string
	Err  error
}

// NodesError lists every node that cannot take part, each with its own
// reason, found before anything was changed.
type NodesError struct {
	// What is being checked ("reach the nodes", ...).
	What     string
	Problems []NodeProblem
}

func (e *NodesError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d of the cluster's nodes cannot take part (nothing was changed):", e.What, len(e.Problems))
	for _, p := range e.Problems {
		fmt.Fprintf(&b, "\n  %s: %v", p.Host, p.Err)
	}
	return b.String()
}

// ErrNodeDown marks a node Cassandra reports down.
var ErrNodeDown = errors.New("Cassandra reports the node down")

// Preflight checks, before anything changes, that every node is up, that
// the executor reaches and logs in to it (Check) and that probe, when
// set, succeeds on it (e.g. medusa runs there). All nodes are checked at
// once; the error names every node that failed, each with its reason, in
// topology order.
func Preflight(ctx context.Context, exec remote.Executor, nodes []Node, probe func(ctx context.Context, n Node) error) error {
	problems := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !n.Up {
				problems[i] = fmt.Errorf("%w (address %s, dc %s): start it, or run the command again once it is up", ErrNodeDown, n.IP, n.DC)
				return
			}
			if err := exec.Check(ctx, n.Host); err != nil {
				problems[i] = err
				return
			}
			if probe != nil {
				problems[i] = probe(ctx, n)
			}
		}()
	}
	wg.Wait()
	e := &NodesError{What: "check the nodes"}
	for i, err := range problems {
		if err != nil {
			e.Problems = append(e.Problems, NodeProblem{Host: nodes[i].Host, Err: err})
		}
	}
	if len(e.Problems) > 0 {
		return e
	}
	return ctx.Err()
}

// NodeLister lists the cluster's nodes over CQL (*cassandra.Session).
type NodeLister interface {
	ClusterNodes(ctx context.Context, dialTimeout time.Duration) ([]cassandra.ClusterNode, error)
}

// DialTimeout bounds the TCP probe of the native port of nodes the CQL
// driver does not watch (other datacenters).
const DialTimeout = 3 * time.Second

// Discover reads the topology from the seed's session: every node of
// every datacenter, named with name (the rule of tokenmap.json: the IP,
// or its resolved name with [cassandra] resolve_ip_addresses).
func Discover(ctx context.Context, seed string, src NodeLister, name func(ctx context.Context, ip string) string) (Topology, error) {
	cn, err := src.ClusterNodes(ctx, DialTimeout)
	if err != nil {
		return Topology{}, fmt.Errorf("discover the cluster's nodes from %s: %w", seed, err)
	}
	nodes := make([]Node, len(cn))
	for i, c := range cn {
		nodes[i] = Node{Host: name(ctx, c.IP), IP: c.IP, DC: c.DC, Rack: c.Rack, Tokens: c.Tokens, Up: c.Up}
	}
	t, err := NewTopology(seed, nodes)
	if err != nil {
		return Topology{}, fmt.Errorf("discover the cluster's nodes from %s: %w", seed, err)
	}
	return t, nil
}
