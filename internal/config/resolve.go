package config

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
)

// Resolver answers the name lookups Medusa makes to find the local node's
// fqdn (config.py _handle_hostname_resolution, network/hostname_resolver.py).
type Resolver interface {
	// LocalFQDN returns the local host's name as Python's socket.getfqdn().
	LocalFQDN(ctx context.Context) (string, error)
	// LookupIP returns one address of host, IPv4 first, as
	// socket.gethostbyname with a getaddrinfo fallback.
	LookupIP(ctx context.Context, host string) (string, error)
	// LookupAddr returns the names addr reverse-resolves to (PTR records or
	// the hosts file), without trailing dots.
	LookupAddr(ctx context.Context, addr string) ([]string, error)
}

// SystemResolver uses os.Hostname and the Go resolver (hosts file and DNS).
type SystemResolver struct{}

// LocalFQDN: the host name, then the first name with a dot among the
// reverse names of its addresses, as socket.getfqdn() picks it.
func (SystemResolver) LocalFQDN(ctx context.Context) (string, error) {
	host, err := os.Hostname()
	if err != nil {
		return "", fmt.Errorf("host name: %w", err)
	}
	addrs, err := net.DefaultResolver.LookupHost(ctx, host)
	if err != nil || len(addrs) == 0 {
		return host, nil // getfqdn falls back to the bare host name
	}
	names, err := SystemResolver{}.LookupAddr(ctx, addrs[0])
	if err != nil || len(names) == 0 {
		return host, nil
	}
	return pickFQDN(names), nil
}

// LookupIP prefers an IPv4 address, like gethostbyname.
func (SystemResolver) LookupIP(ctx context.Context, host string) (string, error) {
	if ips, err := net.DefaultResolver.LookupIP(ctx, "ip4", host); err == nil && len(ips) > 0 {
		return ips[0].String(), nil
	}
	ips, err := net.DefaultResolver.LookupIP(ctx, "ip", host)
	if err != nil {
		return "", err
	}
	if len(ips) == 0 {
		return "", fmt.Errorf("lookup %s: no addresses", host)
	}
	return ips[0].String(), nil
}

// LookupAddr reverse-resolves addr.
func (SystemResolver) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	names, err := net.DefaultResolver.LookupAddr(ctx, addr)
	for i, n := range names {
		names[i] = strings.TrimSuffix(n, ".")
	}
	return names, err
}

// pickFQDN returns the first name containing a dot, else the first name.
func pickFQDN(names []string) string {
	for _, n := range names {
		if strings.Contains(n, ".") {
			return n
		}
	}
	return names[0]
}

// resolveFQDN computes [storage] fqdn when it was not set, as Medusa does:
//   - resolve_ip_addresses false: the IP address of getfqdn();
//   - true: getfqdn(ip), i.e. the reverse name of that address (the address
//     itself if it has none);
//   - Kubernetes mode: the first DNS label of the first PTR name whose label
//     is not an encoded IP address (the pod name), else the address.
func resolveFQDN(ctx context.Context, r Resolver, resolveIPs, k8s bool) (string, error) {
	local, err := r.LocalFQDN(ctx)
	if err != nil {
		return "", err
	}
	ip, err := r.LookupIP(ctx, local)
	if err != nil {
		return "", err
	}
	if !resolveIPs {
		return ip, nil
	}
	names, err := r.LookupAddr(ctx, ip)
	if err != nil || len(names) == 0 {
		return ip, nil
	}
	if !k8s {
		return pickFQDN(names), nil
	}
	for _, n := range names {
		label, _, _ := strings.Cut(n, ".")
		if label != "" && !encodedIP(label) {
			return label, nil
		}
	}
	return ip, nil
}

// encodedIP reports whether a DNS label spells an IP address with dashes
// (10-0-0-12, fd00--1), as Kubernetes PTR names for pods often do.
func encodedIP(label string) bool {
	if _, err := netip.ParseAddr(strings.ReplaceAll(label, "-", ".")); err == nil {
		return true
	}
	_, err := netip.ParseAddr(strings.ReplaceAll(label, "-", ":"))
	return err == nil
}
