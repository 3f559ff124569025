package cassandra

import (
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/layout"
)

func TestHostName(t *testing.T) {
	t.Parallel()
	dns := fakeDNS{
		"10.0.0.1":  {"cass-1.dc1.example.com.", "cass-1"},
		"10.0.0.2":  {"cass-2"},
		"10.0.0.3":  {"10-0-0-3.cassandra.svc.cluster.local.", "dc1-rack1-sts-0.cassandra.svc.cluster.local."},
		"10.0.0.4":  {"10-0-0-4.cassandra.svc.cluster.local."},
		"fd00::5":   {"fd00--5.pods.local", "pod-5.pods.local"},
		"10.0.0.99": {},
	}
	tests := []struct {
		ip              string
		resolveIPs, k8s bool
		want            string
	}{
		{"10.0.0.1", false, false, "10.0.0.1"},
		{"10.0.0.1", true, false, "cass-1.dc1.example.com"},
		{"10.0.0.2", true, false, "cass-2"},
		{"10.0.0.3", true, true, "dc1-rack1-sts-0"},
		{"10.0.0.3", false, true, "10.0.0.3"},
		{"10.0.0.4", true, true, "10.0.0.4"},
		{"fd00::5", true, true, "pod-5"},
		{"10.0.0.99", true, false, "10.0.0.99"},
		{"10.0.0.100", true, false, "10.0.0.100"},
		{"10.0.0.1", true, true, "cass-1"},
	}
	for _, tt := range tests {
		if got := HostName(t.Context(), dns, tt.ip, tt.resolveIPs, tt.k8s); got != tt.want {
			t.Errorf("HostName(%s, resolve=%v, k8s=%v) = %q, want %q", tt.ip, tt.resolveIPs, tt.k8s, got, tt.want)
		}
	}
}

func TestBuildTokenmap(t *testing.T) {
	t.Parallel()
	hosts := []RingHost{
		{IP: "10.0.0.2", DC: "dc1", Rack: "r2", Up: false, Tokens: []string{"-3074457345618258603", "6148914691236517202"}},
		{IP: "10.0.0.11", DC: "dc1", Rack: "r1", Up: true, Tokens: []string{"-9223372036854775808"}},
		{IP: "10.0.0.1", DC: "dc1", Rack: "r1", Up: true, Tokens: []string{"0", "170141183460469231731687303715884105727"}},
	}
	names := map[string]string{"10.0.0.1": "a.example", "10.0.0.11": "c.example", "10.0.0.2": "b.example"}
	tm, err := BuildTokenmap(hosts, func(ip string) string { return names[ip] })
	if err != nil {
		t.Fatal(err)
	}
	got, err := layout.MarshalTokenmap(tm)
	if err != nil {
		t.Fatal(err)
	}
	// Sorted by IP string ("10.0.0.1" < "10.0.0.11" < "10.0.0.2"), not by name.
	want := `{"a.example": {"tokens": [0, 170141183460469231731687303715884105727], "is_up": true, "rack": "r1", "dc": "dc1"}, ` +
		`"c.example": {"tokens": [-9223372036854775808], "is_up": true, "rack": "r1", "dc": "dc1"}, ` +
		`"b.example": {"tokens": [-3074457345618258603, 6148914691236517202], "is_up": false, "rack": "r2", "dc": "dc1"}}`
	if string(got) != want {
		t.Errorf("tokenmap.json =\n%s\nwant\n%s", got, want)
	}
	back, err := layout.UnmarshalTokenmap(got)
	if err != nil || back.Len() != 3 {
		t.Errorf("round trip: %v %v", back, err)
	}
}

func TestBuildTokenmapErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		hosts []RingHost
		same  bool
		want  string
	}{
		{"no tokens", []RingHost{{IP: "10.0.0.1"}}, false, "host 10.0.0.1 has no tokens"},
		{"byte ordered token", []RingHost{{IP: "10.0.0.1", Tokens: []string{"0a1b"}}}, false, `token "0a1b" is not an integer`},
		{"leading zero", []RingHost{{IP: "10.0.0.1", Tokens: []string{"01"}}}, false, "not an integer"},
		{"same name", []RingHost{{IP: "10.0.0.1", Tokens: []string{"1"}}, {IP: "10.0.0.2", Tokens: []string{"2"}}}, true,
			`hosts 10.0.0.1 and 10.0.0.2 both resolve to "node"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := func(ip string) string { return ip }
			if tt.same {
				name = func(string) string { return "node" }
			}
			_, err := BuildTokenmap(tt.hosts, name)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestFilterDC(t *testing.T) {
	t.Parallel()
	hosts := []RingHost{{IP: "1", DC: "dc1"}, {IP: "2", DC: "dc2"}, {IP: "3", DC: "dc1"}}
	got := filterDC(hosts, "dc1")
	if len(got) != 2 || got[0].IP != "1" || got[1].IP != "3" {
		t.Fatalf("filterDC = %+v", got)
	}
}

// TestTokenmapKubernetesLocalName: in Kubernetes mode the local node is
// keyed by its pod name (CQLOptions.LocalName, the [storage] fqdn) even
// when its address has no usable PTR record, so the backup stored under
// that name is complete; the peers keep the PTR rule. Outside Kubernetes
// mode LocalName is not used.
func TestTokenmapKubernetesLocalName(t *testing.T) {
	t.Parallel()
	dns := fakeDNS{
		"10.0.0.1": {"localhost."},
		"10.0.0.2": {"demo-dc1-default-sts-1.demo-dc1-all-pods-service.ns.svc.cluster.local."},
	}
	hosts := []RingHost{
		{IP: "10.0.0.1", DC: "dc1", Rack: "default", Up: true, Tokens: []string{"1"}},
		{IP: "10.0.0.2", DC: "dc1", Rack: "default", Up: true, Tokens: []string{"2"}},
		{IP: "10.0.0.3", DC: "dc1", Rack: "default", Up: true, Tokens: []string{"3"}},
	}
	tests := []struct {
		name string
		s    *Session
		want []string
	}{
		{"kubernetes", &Session{localIP: "10.0.0.1", k8s: true, localName: "demo-dc1-default-sts-0"},
			[]string{"demo-dc1-default-sts-0", "demo-dc1-default-sts-1", "10.0.0.3"}},
		{"kubernetes without a local name", &Session{localIP: "10.0.0.1", k8s: true},
			[]string{"localhost", "demo-dc1-default-sts-1", "10.0.0.3"}},
		{"not kubernetes", &Session{localIP: "10.0.0.1", localName: "ignored"},
			[]string{"localhost", "demo-dc1-default-sts-1.demo-dc1-all-pods-service.ns.svc.cluster.local", "10.0.0.3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm, err := BuildTokenmap(hosts, func(ip string) string { return tt.s.hostName(t.Context(), dns, ip, true) })
			if err != nil {
				t.Fatal(err)
			}
			if got := tm.HostNames(); strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("hosts = %v, want %v", got, tt.want)
			}
		})
	}
}
