package cassandra

import (
	"context"
	"fmt"
	"net"
	"slices"
)

// ClusterHost is one node of the cluster, in any datacenter.
type ClusterHost struct {
	IP string // the node's CQL address (native/rpc address, else its peer address)
	DC string
}

// ClusterHosts returns every node of the cluster, all datacenters
// included: the local node from system.local and the others from
// system.peers_v2 (system.peers before Cassandra 4.0), read on the local
// node. Unlike Ring it does not go through the driver's host list, which
// only holds the local datacenter.
func (s *Session) ClusterHosts(ctx context.Context) ([]ClusterHost, error) {
	local, err := s.Local(ctx)
	if err != nil {
		return nil, err
	}
	hosts := []ClusterHost{{IP: s.localIP, DC: local.DataCenter}}
	rows, err := s.peerRows(ctx, "SELECT peer, native_address, data_center FROM system.peers_v2")
	addrCol := "native_address"
	if err != nil {
		rows, err = s.peerRows(ctx, "SELECT peer, rpc_address, data_center FROM system.peers")
		addrCol = "rpc_address"
	}
	if err != nil {
		return nil, fmt.Errorf("cql %s: read the cluster's peers: %w", s.addr, err)
	}
	for _, row := range rows {
		if h, ok := peerHost(row, addrCol); ok {
			hosts = append(hosts, h)
		}
	}
	return hosts, nil
}

func (s *Session) peerRows(ctx context.Context, stmt string) ([]map[string]any, error) {
	iter := s.Query(stmt).IterContext(ctx)
	var rows []map[string]any
	for {
		row := map[string]any{}
		if !iter.MapScan(row) {
			break
		}
		rows = append(rows, row)
	}
	if err := iter.Close(); err != nil {
		return nil, err
	}
	return rows, nil
}

// peerHost reads one system.peers(_v2) row: the address clients use is
// addrCol (native_address or rpc_address), or the peer address when that
// is missing or a wildcard, as the driver does.
func peerHost(row map[string]any, addrCol string) (ClusterHost, bool) {
	ip := inetString(row[addrCol])
	if ip == "" || net.ParseIP(ip).IsUnspecified() {
		ip = inetString(row["peer"])
	}
	if ip == "" {
		return ClusterHost{}, false
	}
	dc, _ := row["data_center"].(string)
	return ClusterHost{IP: ip, DC: dc}, true
}

func inetString(v any) string {
	switch a := v.(type) {
	case net.IP:
		if a == nil {
			return ""
		}
		return a.String()
	case string:
		if ip := net.ParseIP(a); ip != nil {
			return ip.String()
		}
	}
	return ""
}

// ClusterHostNames returns the identities of every node of the cluster,
// all datacenters included, named as tokenmap.json names them (HostName:
// the IP, or its resolved name with resolveIPs; the local node by
// CQLOptions.LocalName in Kubernetes mode), sorted and without
// duplicates. purge-decommissioned compares the nodes found in the bucket
// against this list.
func (s *Session) ClusterHostNames(ctx context.Context, resolver HostResolver, resolveIPs bool) ([]string, error) {
	hosts, err := s.ClusterHosts(ctx)
	if err != nil {
		return nil, err
	}
	return s.hostNames(ctx, hosts, resolver, resolveIPs), nil
}

// hostNames names hosts as the session's token maps do (hostName); the
// result is sorted and has no duplicates.
func (s *Session) hostNames(ctx context.Context, hosts []ClusterHost, resolver HostResolver, resolveIPs bool) []string {
	names := make([]string, 0, len(hosts))
	for _, h := range hosts {
		names = append(names, s.hostName(ctx, resolver, h.IP, resolveIPs))
	}
	slices.Sort(names)
	return slices.Compact(names)
}
