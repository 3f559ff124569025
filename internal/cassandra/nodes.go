package cassandra

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"
)

// ClusterNode is one node of the cluster, in any datacenter, as the
// contact node's system tables and the driver describe it.
type ClusterNode struct {
	IP     string // the node's CQL address (native/rpc address, else its peer address)
	Port   int    // its native port (the contact's port when the tables do not say)
	DC     string
	Rack   string
	Tokens []string // decimal token literals, in the server's order
	// Up: the driver holds a connection to it (nodes of the contact's
	// datacenter) or its native port accepted a connection (others).
	Up bool
}

// ClusterNodes returns every node of the cluster, all datacenters
// included, with rack and tokens: the contact node from system.local,
// the others from system.peers_v2 (system.peers before Cassandra 4.0).
// Whether a node is up comes from the driver for the nodes it watches
// (the contact's datacenter); a node of another datacenter is up when
// its native port accepts a TCP connection within dialTimeout.
func (s *Session) ClusterNodes(ctx context.Context, dialTimeout time.Duration) ([]ClusterNode, error) {
	local, err := s.Local(ctx)
	if err != nil {
		return nil, err
	}
	_, portStr, _ := net.SplitHostPort(s.addr)
	port, _ := strconv.Atoi(portStr)
	nodes := []ClusterNode{{IP: s.localIP, Port: port, DC: local.DataCenter, Rack: local.Rack,
		Tokens: local.Tokens, Up: true}}
	rows, err := s.peerRows(ctx, "SELECT peer, native_address, native_port, data_center, rack, tokens FROM system.peers_v2")
	addrCol := "native_address"
	if err != nil {
		rows, err = s.peerRows(ctx, "SELECT peer, rpc_address, data_center, rack, tokens FROM system.peers")
		addrCol = "rpc_address"
	}
	if err != nil {
		return nil, fmt.Errorf("cql %s: read the cluster's peers: %w", s.addr, err)
	}
	driverUp := map[string]bool{}
	for _, h := range s.s.GetHosts() {
		driverUp[h.ConnectAddress().String()] = h.IsUp()
	}
	var dial []int
	for _, row := range rows {
		h, ok := peerHost(row, addrCol)
		if !ok || h.IP == s.localIP {
			continue
		}
		n := ClusterNode{IP: h.IP, Port: port, DC: h.DC}
		n.Rack, _ = row["rack"].(string)
		n.Tokens, _ = row["tokens"].([]string)
		if p, ok := row["native_port"].(int); ok && p > 0 {
			n.Port = p
		}
		if up, known := driverUp[n.IP]; known && n.DC == local.DataCenter {
			n.Up = up
		} else {
			dial = append(dial, len(nodes))
		}
		nodes = append(nodes, n)
	}
	var wg sync.WaitGroup
	for _, i := range dial {
		wg.Add(1)
		go func(n *ClusterNode) {
			defer wg.Done()
			d := net.Dialer{Timeout: dialTimeout}
			c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(n.IP, strconv.Itoa(n.Port)))
			if err == nil {
				n.Up = true
				_ = c.Close()
			}
		}(&nodes[i])
	}
	wg.Wait()
	return nodes, nil
}
