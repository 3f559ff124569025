package cassandra

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Defaults Medusa assumes when cassandra.yaml leaves a setting out.
const (
	DefaultDataDir      = "/var/lib/cassandra/data"
	DefaultCommitlogDir = "/var/lib/cassandra/commitlog"
	DefaultCachesDir    = "/var/lib/cassandra/saved_caches"
)

// NodeConfig is what medusa needs from cassandra.yaml.
type NodeConfig struct {
	Path           string
	ClusterName    string
	DataDir        string // the single data_file_directories entry
	CommitlogDir   string
	SavedCachesDir string
	HintsDir       string
	ListenAddress  string // CQL contact point; "" means resolve the host's own name
	RPCAddress     string
	NativePort     int
	StoragePort    int
	RPCPort        int
	Seeds          []string // hosts of SimpleSeedProvider, ports stripped
	ClientTLS      bool
	InternodeTLS   bool
	NumTokens      int
	InitialToken   string
	raw            map[string]any
}

// ReadNodeConfig parses cassandra.yaml at path.
func ReadNodeConfig(path string) (*NodeConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read cassandra.yaml: %w (set [cassandra] config_file in medusa.ini)", err)
	}
	c, err := ParseNodeConfig(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.Path = path
	return c, nil
}

// ParseNodeConfig applies Medusa's reading of cassandra.yaml (docs/compatibility.md, medusa.ini):
// every value is taken as a string, one data directory only, and the
// native and storage ports follow the encryption settings.
func ParseNodeConfig(b []byte) (*NodeConfig, error) {
	raw := map[string]any{}
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	c := &NodeConfig{raw: raw}
	c.ClusterName = str(raw["cluster_name"])
	dirs, ok := raw["data_file_directories"].([]any)
	switch {
	case !ok || len(dirs) == 0:
		c.DataDir = DefaultDataDir
	case len(dirs) > 1:
		return nil, errors.New("data_file_directories lists several directories; medusa supports exactly one data directory")
	default:
		c.DataDir = str(dirs[0])
	}
	c.CommitlogDir = strOr(raw["commitlog_directory"], DefaultCommitlogDir)
	c.SavedCachesDir = strOr(raw["saved_caches_directory"], DefaultCachesDir)
	c.HintsDir = str(raw["hints_directory"])
	c.ListenAddress = str(raw["listen_address"])
	c.RPCAddress = str(raw["rpc_address"])
	c.InitialToken = str(raw["initial_token"])

	var err error
	if c.NumTokens, err = intOr(raw["num_tokens"], 1); err != nil {
		return nil, fmt.Errorf("num_tokens: %w", err)
	}
	cli, _ := raw["client_encryption_options"].(map[string]any)
	c.ClientTLS = cli != nil && strings.EqualFold(str(cli["enabled"]), "true")
	if c.ClientTLS {
		if _, has := raw["native_transport_port_ssl"]; has {
			c.NativePort, err = intOr(raw["native_transport_port_ssl"], 9142)
		} else {
			c.NativePort, err = intOr(raw["native_transport_port"], 9142)
		}
	} else {
		c.NativePort, err = intOr(raw["native_transport_port"], 9042)
	}
	if err != nil {
		return nil, fmt.Errorf("native transport port: %w", err)
	}
	srv, _ := raw["server_encryption_options"].(map[string]any)
	ie := ""
	if srv != nil {
		ie = strings.ToLower(str(srv["internode_encryption"]))
	}
	c.InternodeTLS = ie != "" && ie != "none"
	// Cassandra 4 and later serve encrypted internode traffic on storage_port.
	if c.StoragePort, err = intOr(raw["storage_port"], 7000); err != nil {
		return nil, fmt.Errorf("storage_port: %w", err)
	}
	if c.RPCPort, err = intOr(raw["rpc_port"], 9160); err != nil {
		return nil, fmt.Errorf("rpc_port: %w", err)
	}
	c.Seeds = seeds(raw["seed_provider"])
	return c, nil
}

// seeds reads seed_provider[0].parameters[0].seeds when the provider is
// SimpleSeedProvider, dropping ports ("127.0.0.1:7000" -> "127.0.0.1").
func seeds(v any) []string {
	list, _ := v.([]any)
	if len(list) == 0 {
		return nil
	}
	sp, _ := list[0].(map[string]any)
	if sp == nil || !strings.HasSuffix(str(sp["class_name"]), "SimpleSeedProvider") {
		return nil
	}
	params, _ := sp["parameters"].([]any)
	if len(params) == 0 {
		return nil
	}
	p, _ := params[0].(map[string]any)
	var out []string
	for _, s := range strings.Split(str(p["seeds"]), ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if h, _, ok := strings.Cut(s, ":"); ok && strings.Count(s, ":") == 1 {
			s = h
		}
		out = append(out, s)
	}
	return out
}

func str(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	default:
		return fmt.Sprint(t)
	}
}

func strOr(v any, def string) string {
	if s := str(v); s != "" {
		return s
	}
	return def
}

func intOr(v any, def int) (int, error) {
	s := str(v)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer", s)
	}
	return n, nil
}

// Value returns the cassandra.yaml setting key as a string ("" when it is
// not set), e.g. commitlog_segment_size.
func (c *NodeConfig) Value(key string) string { return str(c.raw[key]) }
