package cassandra

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseNodeConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yaml string
		want func(*NodeConfig) bool
		err  string
	}{
		{"defaults", "cluster_name: x\n", func(c *NodeConfig) bool {
			return c.DataDir == DefaultDataDir && c.CommitlogDir == DefaultCommitlogDir &&
				c.NativePort == 9042 && c.StoragePort == 7000 && c.RPCPort == 9160 && c.NumTokens == 1
		}, ""},
		{"one data dir", "data_file_directories:\n  - /data/c\ncommitlog_directory: /cl\n", func(c *NodeConfig) bool {
			return c.DataDir == "/data/c" && c.CommitlogDir == "/cl"
		}, ""},
		{"two data dirs", "data_file_directories: [/a, /b]\n", nil, "exactly one data directory"},
		{"ports", "native_transport_port: 19042\nstorage_port: 17000\n", func(c *NodeConfig) bool {
			return c.NativePort == 19042 && c.StoragePort == 17000
		}, ""},
		{"client tls ssl port", "native_transport_port: 9042\nnative_transport_port_ssl: 9999\nclient_encryption_options:\n  enabled: true\n",
			func(c *NodeConfig) bool { return c.ClientTLS && c.NativePort == 9999 }, ""},
		{"client tls same port", "native_transport_port: 9043\nclient_encryption_options:\n  enabled: true\n",
			func(c *NodeConfig) bool { return c.ClientTLS && c.NativePort == 9043 }, ""},
		{"client tls default", "client_encryption_options:\n  enabled: true\n",
			func(c *NodeConfig) bool { return c.NativePort == 9142 }, ""},
		{"client tls disabled", "client_encryption_options:\n  enabled: false\n",
			func(c *NodeConfig) bool { return !c.ClientTLS && c.NativePort == 9042 }, ""},
		{"internode tls", "server_encryption_options:\n  internode_encryption: all\n",
			func(c *NodeConfig) bool { return c.InternodeTLS && c.StoragePort == 7000 }, ""},
		{"seeds", "seed_provider:\n  - class_name: org.apache.cassandra.locator.SimpleSeedProvider\n    parameters:\n      - seeds: \"127.0.0.1:7000, 10.0.0.2\"\n",
			func(c *NodeConfig) bool { return reflect.DeepEqual(c.Seeds, []string{"127.0.0.1", "10.0.0.2"}) }, ""},
		{"other seed provider", "seed_provider:\n  - class_name: com.example.K8sSeeds\n    parameters:\n      - seeds: a\n",
			func(c *NodeConfig) bool { return c.Seeds == nil }, ""},
		{"bad port", "native_transport_port: abc\n", nil, `"abc" is not an integer`},
		{"not yaml", "a: [\n", nil, "not valid YAML"},
		{"listen and tokens", "listen_address: 127.0.0.5\nnum_tokens: 16\ninitial_token: 1,2\n", func(c *NodeConfig) bool {
			return c.ListenAddress == "127.0.0.5" && c.NumTokens == 16 && c.InitialToken == "1,2"
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseNodeConfig([]byte(tt.yaml))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.want(c) {
				t.Fatalf("unexpected config: %+v", *c)
			}
		})
	}
}

func TestReadNodeConfigNamesFile(t *testing.T) {
	t.Parallel()
	_, err := ReadNodeConfig(filepath.Join(t.TempDir(), "missing.yaml"))
	if err == nil || !strings.Contains(err.Error(), "[cassandra] config_file") {
		t.Fatalf("error = %v", err)
	}
	p := filepath.Join(t.TempDir(), "cassandra.yaml")
	if err := os.WriteFile(p, []byte("data_file_directories: [/a, /b]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ReadNodeConfig(p)
	if err == nil || !strings.HasPrefix(err.Error(), p+": ") {
		t.Fatalf("error = %v, want it to start with the path", err)
	}
}
