package cassandra

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strings"

	"github.com/medusa-go/medusa/internal/layout"
)

// HostResolver reverse-resolves an address into host names (PTR records
// or the hosts file); trailing dots are ignored. *net.Resolver and
// config.SystemResolver satisfy it.
type HostResolver interface {
	LookupAddr(ctx context.Context, addr string) ([]string, error)
}

// HostName returns the identity Medusa gives the node at ip (docs/compatibility.md,
// "The node identity"; Medusa's HostnameResolver.resolve_fqdn): ip itself when resolveIPs is false;
// else the first reverse name containing a dot (getfqdn), or in Kubernetes
// mode the first DNS label of the first reverse name that is not an
// encoded IP address (the pod name); ip when nothing resolves. A nil
// resolver means net.DefaultResolver.
func HostName(ctx context.Context, r HostResolver, ip string, resolveIPs, k8s bool) string {
	if !resolveIPs {
		return ip
	}
	if r == nil {
		r = net.DefaultResolver
	}
	raw, err := r.LookupAddr(ctx, ip)
	var names []string
	for _, n := range raw {
		if n = strings.TrimSuffix(n, "."); n != "" {
			names = append(names, n)
		}
	}
	if err != nil || len(names) == 0 {
		return ip
	}
	if k8s {
		for _, n := range names {
			label, _, _ := strings.Cut(n, ".")
			if label != "" && !encodedIP(label) {
				return label
			}
		}
		return ip
	}
	for _, n := range names {
		if strings.Contains(n, ".") {
			return n
		}
	}
	return names[0]
}

// encodedIP reports whether a DNS label spells an IP address with dashes
// (10-0-0-12, fd00--1), as Kubernetes pod PTR names often do.
func encodedIP(label string) bool {
	if _, err := netip.ParseAddr(strings.ReplaceAll(label, "-", ".")); err == nil {
		return true
	}
	_, err := netip.ParseAddr(strings.ReplaceAll(label, "-", ":"))
	return err == nil
}

// RingHost is one node as the driver sees it.
type RingHost struct {
	IP     string // the node's CQL address (rpc/native address)
	DC     string
	Rack   string
	Up     bool
	Tokens []string // decimal token literals, in the server's order
}

// Ring returns the local node's datacenter as the driver knows it: the
// local node and the peers of its datacenter, with their tokens and
// whether the driver could reach them.
func (s *Session) Ring(ctx context.Context) ([]RingHost, error) {
	local, err := s.Local(ctx)
	if err != nil {
		return nil, err
	}
	var out []RingHost
	for _, h := range s.s.GetHosts() {
		ip := h.ConnectAddress().String()
		rh := RingHost{IP: ip, DC: h.DataCenter(), Rack: h.Rack(), Up: h.IsUp(), Tokens: h.Tokens()}
		if ip == s.localIP {
			// system.local is authoritative for the node itself, and it answered.
			rh.DC, rh.Rack, rh.Tokens, rh.Up = local.DataCenter, local.Rack, local.Tokens, true
		}
		out = append(out, rh)
	}
	return filterDC(out, local.DataCenter), nil
}

func filterDC(hosts []RingHost, dc string) []RingHost {
	var out []RingHost
	for _, h := range hosts {
		if h.DC == dc {
			out = append(out, h)
		}
	}
	return out
}

// TokenMap is meta/tokenmap.json: the hosts of the local node's datacenter
// inserted in the order of their IP address strings (as Medusa sorts
// them), keyed by HostName (the local node by CQLOptions.LocalName in
// Kubernetes mode), each with its tokens (server order), is_up,
// rack and dc.
func (s *Session) TokenMap(ctx context.Context, resolver HostResolver, resolveIPs bool) (layout.Tokenmap, error) {
	hosts, err := s.Ring(ctx)
	if err != nil {
		return layout.Tokenmap{}, err
	}
	tm, err := BuildTokenmap(hosts, func(ip string) string {
		return s.hostName(ctx, resolver, ip, resolveIPs)
	})
	if err != nil {
		return layout.Tokenmap{}, fmt.Errorf("cql %s: token map: %w", s.addr, err)
	}
	return tm, nil
}

// hostName names the node at ip: HostName, except that in Kubernetes mode
// the local node is CQLOptions.LocalName when set (its pod name), which
// its reverse-DNS name may not give (no PTR record for the pod IP, or a
// loopback contact point).
func (s *Session) hostName(ctx context.Context, resolver HostResolver, ip string, resolveIPs bool) string {
	if s.k8s && s.localName != "" && ip == s.localIP {
		return s.localName
	}
	return HostName(ctx, resolver, ip, resolveIPs, s.k8s)
}

// BuildTokenmap orders hosts by IP string and names them with name. Two
// hosts that get the same name, a host without tokens and a token that is
// not an integer (ByteOrderedPartitioner) are errors.
func BuildTokenmap(hosts []RingHost, name func(ip string) string) (layout.Tokenmap, error) {
	sorted := append([]RingHost(nil), hosts...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].IP < sorted[j].IP })
	var tm layout.Tokenmap
	seen := map[string]string{}
	for _, h := range sorted {
		key := name(h.IP)
		if other, dup := seen[key]; dup {
			return layout.Tokenmap{}, fmt.Errorf("hosts %s and %s both resolve to %q", other, h.IP, key)
		}
		seen[key] = h.IP
		if len(h.Tokens) == 0 {
			return layout.Tokenmap{}, fmt.Errorf("host %s has no tokens", h.IP)
		}
		th := layout.TokenmapHost{Host: key, IsUp: ptr(h.Up), Rack: ptr(h.Rack), DC: ptr(h.DC)}
		for _, t := range h.Tokens {
			if !isIntegerLiteral(t) {
				return layout.Tokenmap{}, fmt.Errorf("host %s: token %q is not an integer (only Murmur3 and Random partitioners are supported)", h.IP, t)
			}
			th.Tokens = append(th.Tokens, json.Number(t))
		}
		tm.Hosts = append(tm.Hosts, th)
	}
	return tm, nil
}

func ptr[T any](v T) *T { return &v }

func isIntegerLiteral(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
