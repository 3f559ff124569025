package cassandra

import (
	"net"
	"slices"
	"testing"
)

func TestPeerHost(t *testing.T) {
	tests := []struct {
		name    string
		row     map[string]any
		addrCol string
		want    ClusterHost
		ok      bool
	}{
		{"native address", map[string]any{"peer": net.ParseIP("10.0.2.1"), "native_address": net.ParseIP("192.168.2.1"), "data_center": "dc2"},
			"native_address", ClusterHost{IP: "192.168.2.1", DC: "dc2"}, true},
		{"wildcard rpc address", map[string]any{"peer": net.ParseIP("10.0.1.2"), "rpc_address": net.ParseIP("0.0.0.0"), "data_center": "dc1"},
			"rpc_address", ClusterHost{IP: "10.0.1.2", DC: "dc1"}, true},
		{"missing address", map[string]any{"peer": net.ParseIP("10.0.2.3"), "native_address": net.IP(nil), "data_center": "dc2"},
			"native_address", ClusterHost{IP: "10.0.2.3", DC: "dc2"}, true},
		{"nothing", map[string]any{"data_center": "dc2"}, "native_address", ClusterHost{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := peerHost(tt.row, tt.addrCol)
			if got != tt.want || ok != tt.ok {
				t.Errorf("peerHost = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

// TestHostNamesAllDatacenters: the hosts of every datacenter are named
// (unlike the token map, which only has the local one).
func TestHostNamesAllDatacenters(t *testing.T) {
	hosts := []ClusterHost{
		{IP: "10.0.1.1", DC: "dc1"}, {IP: "10.0.2.1", DC: "dc2"}, {IP: "10.0.1.2", DC: "dc1"},
		{IP: "10.0.2.2", DC: "dc2"},
	}
	dns := fakeDNS{"10.0.1.1": {"a.dc1.example."}, "10.0.2.1": {"a.dc2.example."}}
	s := &Session{localIP: "10.0.1.1"}
	got := s.hostNames(t.Context(), hosts, dns, true)
	want := []string{"10.0.1.2", "10.0.2.2", "a.dc1.example", "a.dc2.example"}
	if !slices.Equal(got, want) {
		t.Errorf("resolved: %v, want %v", got, want)
	}
	got = s.hostNames(t.Context(), hosts, dns, false)
	want = []string{"10.0.1.1", "10.0.1.2", "10.0.2.1", "10.0.2.2"}
	if !slices.Equal(got, want) {
		t.Errorf("not resolved: %v, want %v", got, want)
	}
	// Kubernetes mode: the local node is its pod name, whatever DNS says;
	// the others keep the PTR rule.
	k8s := &Session{localIP: "10.0.1.1", k8s: true, localName: "demo-dc1-default-sts-0"}
	got = k8s.hostNames(t.Context(), hosts, dns, true)
	want = []string{"10.0.1.2", "10.0.2.2", "a", "demo-dc1-default-sts-0"}
	if !slices.Equal(got, want) {
		t.Errorf("kubernetes: %v, want %v", got, want)
	}
}

// TestClusterHostNamesIntegration reads the host list of the test-bed node.
func TestClusterHostNamesIntegration(t *testing.T) {
	n := testNode(t)
	s := testSession(t, testCQLOptions(t, n))
	hosts, err := s.ClusterHosts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(hosts) != 1 || hosts[0].IP != n.Host || hosts[0].DC == "" {
		t.Fatalf("cluster hosts of a one-node cluster: %+v, want [%s in its dc]", hosts, n.Host)
	}
	names, err := s.ClusterHostNames(t.Context(), fakeDNS{n.Host: {"cass-1.example.com."}}, true)
	if err != nil || !slices.Equal(names, []string{"cass-1.example.com"}) {
		t.Errorf("resolved names: %v, %v", names, err)
	}
}
