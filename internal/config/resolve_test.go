package config

import (
	"errors"
	"net"
	"strings"
	"testing"
)

func TestResolveFQDN(t *testing.T) {
	t.Parallel()
	base := fakeResolver{
		local: "node1",
		ips:   map[string]string{"node1": "10.0.0.5"},
		names: map[string][]string{"10.0.0.5": {"node1", "node1.dc1.example.com"}},
	}
	pod := fakeResolver{
		local: "cassandra-0",
		ips:   map[string]string{"cassandra-0": "10.244.1.7"},
		names: map[string][]string{"10.244.1.7": {
			"10-244-1-7.cassandra.ns.svc.cluster.local",
			"cassandra-dc1-rack1-sts-0.cassandra-dc1-service.ns.svc.cluster.local",
		}},
	}
	ipOnlyPod := fakeResolver{
		local: "p", ips: map[string]string{"p": "fd00::7"},
		names: map[string][]string{"fd00::7": {"fd00--7.ns.pod.cluster.local"}},
	}
	noPTR := fakeResolver{local: "node1", ips: map[string]string{"node1": "10.0.0.5"}}
	tests := []struct {
		name       string
		r          fakeResolver
		resolveIPs bool
		k8s        bool
		want       string
		err        string
	}{
		{"reverse name with a dot wins", base, true, false, "node1.dc1.example.com", ""},
		{"resolve_ip_addresses false gives the address", base, false, false, "10.0.0.5", ""},
		{"no PTR record gives the address", noPTR, true, false, "10.0.0.5", ""},
		{"k8s: first label that is not an encoded IP", pod, true, true, "cassandra-dc1-rack1-sts-0", ""},
		{"k8s: only IP-like labels give the address", ipOnlyPod, true, true, "fd00::7", ""},
		{"k8s without PTR gives the address", noPTR, true, true, "10.0.0.5", ""},
		{"unknown local name", fakeResolver{local: "ghost"}, true, false, "", "lookup ghost: no such host"},
		{"host name failure", fakeResolver{err: errors.New("uname failed")}, true, false, "", "uname failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := resolveFQDN(t.Context(), tt.r, tt.resolveIPs, tt.k8s)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("resolveFQDN = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestFQDNResolutionFailure: an fqdn that cannot be computed is a problem
// that says what to do.
func TestFQDNResolutionFailure(t *testing.T) {
	t.Parallel()
	l := &Loader{Resolver: fakeResolver{local: "ghost"}}
	_, _, err := l.Parse(t.Context(), "medusa.ini", strings.NewReader(validINI), Overrides{}, envOf(nil))
	equalLines(t, "problems", problemLines(t, err), []string{
		"medusa.ini: [storage] fqdn: not set, and the local host name cannot be resolved " +
			"(lookup ghost: no such host); set fqdn in [storage] or pass --fqdn",
	})
}

func TestEncodedIP(t *testing.T) {
	t.Parallel()
	for label, want := range map[string]bool{
		"10-0-0-12": true, "fd00--1": true, "cassandra-0": false, "10-0-0": false, "node1": false,
	} {
		if got := encodedIP(label); got != want {
			t.Errorf("encodedIP(%q) = %v, want %v", label, got, want)
		}
	}
}

// TestSystemResolver uses the hosts file only: localhost is 127.0.0.1 and
// the local host name resolves to something non-empty.
func TestSystemResolver(t *testing.T) {
	t.Parallel()
	var r SystemResolver
	ip, err := r.LookupIP(t.Context(), "localhost")
	if err != nil || net.ParseIP(ip) == nil || !net.ParseIP(ip).IsLoopback() {
		t.Errorf("LookupIP(localhost) = %q, %v; want a loopback address", ip, err)
	}
	name, err := r.LocalFQDN(t.Context())
	if err != nil || name == "" {
		t.Errorf("LocalFQDN = %q, %v", name, err)
	}
	if got := pickFQDN([]string{"a", "b.c", "d.e"}); got != "b.c" {
		t.Errorf("pickFQDN = %q, want b.c", got)
	}
	if got := pickFQDN([]string{"a", "b"}); got != "a" {
		t.Errorf("pickFQDN = %q, want a", got)
	}
}
