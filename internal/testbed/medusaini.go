package testbed

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

// MedusaINI describes a medusa.ini for a test-bed node: storage on the
// test bed's S3 server (as the restricted user, through a key_file, the
// way the AWS set-up guide has it) or on local disk, and [cassandra]
// pointing at the node's cassandra.yaml and scripts.
type MedusaINI struct {
	// S3 selects s3_compatible storage on this server; nil means local
	// storage under BasePath.
	S3       *S3Server
	KeyFile  string // AWS credentials file written for S3 (mode 0600)
	User     Credentials
	Bucket   string
	Prefix   string
	BasePath string
	Node     *Node
	FQDN     string
	// Extra sets more keys: section -> key -> value.
	Extra map[string]map[string]string
}

// Write writes the credentials file (for S3) and the ini file at path.
func (m MedusaINI) Write(path string) error {
	storage := map[string]string{"bucket_name": m.Bucket, "fqdn": m.FQDN}
	if m.Prefix != "" {
		storage["prefix"] = m.Prefix
	}
	if m.S3 != nil {
		if err := m.S3.WriteKeyFile(m.KeyFile, m.User); err != nil {
			return err
		}
		storage["storage_provider"] = "s3_compatible"
		storage["host"] = m.S3.Host
		storage["port"] = fmt.Sprint(m.S3.Port)
		storage["secure"] = "False"
		storage["region"] = m.S3.Region
		storage["key_file"] = m.KeyFile
	} else {
		storage["storage_provider"] = "local"
		storage["base_path"] = m.BasePath
	}
	sections := map[string]map[string]string{"storage": storage}
	if n := m.Node; n != nil {
		sections["cassandra"] = map[string]string{
			"config_file":          n.ConfigFile,
			"start_cmd":            n.StartCmd,
			"stop_cmd":             n.StopCmd,
			"nodetool_executable":  n.NodetoolPath,
			"sstableloader_bin":    n.SSTableLoaderPath,
			"use_sudo":             "False",
			"resolve_ip_addresses": "False",
		}
		storage["use_sudo_for_restore"] = "False"
	}
	for sec, kv := range m.Extra {
		if sections[sec] == nil {
			sections[sec] = map[string]string{}
		}
		for k, v := range kv {
			sections[sec][k] = v
		}
	}
	return os.WriteFile(path, []byte(renderINI(sections)), 0o600)
}

func renderINI(sections map[string]map[string]string) string {
	names := make([]string, 0, len(sections))
	for s := range sections {
		names = append(names, s)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, s := range names {
		fmt.Fprintf(&b, "[%s]\n", s)
		keys := make([]string, 0, len(sections[s]))
		for k := range sections[s] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "%s = %s\n", k, sections[s][k])
		}
		b.WriteString("\n")
	}
	return b.String()
}
