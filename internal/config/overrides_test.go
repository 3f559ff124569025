package config

import (
	"os"
	"path/filepath"
	"testing"
)

const overridesINI = validINI + "key_file = /etc/medusa/ini-creds\nprefix = ini\nbackup_grace_period_in_days = 3\n" +
	"[ssh]\nusername = ini-user\nkey_file = /home/ini/.ssh/id\n" +
	"[cassandra]\ncql_username = ini-cql\ncql_password = ini-pass\nnodetool_username = ini-nt\n"

// TestCLIOverrides: every global flag, including the two Medusa ignores,
// and --key-file touching only [storage].
func TestCLIOverrides(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		ov    Overrides
		check func(t *testing.T, c *Config)
	}{
		{
			name: "no flags keep the file",
			check: func(t *testing.T, c *Config) {
				eq(t, "key_file", c.Storage.KeyFile, "/etc/medusa/ini-creds")
				eq(t, "ssh key_file", c.SSH.KeyFile, "/home/ini/.ssh/id")
				eq(t, "fqdn", c.Storage.FQDN, "node1.example.com")
			},
		},
		{
			name: "storage flags",
			ov: Overrides{BucketName: strp("cli-bucket"), Prefix: strp("cli"), FQDN: strp("other.host"),
				BackupGracePeriodInDays: strp("0")},
			check: func(t *testing.T, c *Config) {
				eq(t, "bucket", c.Storage.BucketName, "cli-bucket")
				eq(t, "prefix", c.Storage.Prefix, "cli")
				eq(t, "fqdn", c.Storage.FQDN, "other.host")
				eqInt(t, "grace", c.Storage.BackupGracePeriodInDays, 0)
			},
		},
		{
			name: "--key-file sets [storage] key_file only",
			ov:   Overrides{KeyFile: strp("/cli/creds")},
			check: func(t *testing.T, c *Config) {
				eq(t, "key_file", c.Storage.KeyFile, "/cli/creds")
				eq(t, "ssh key_file", c.SSH.KeyFile, "/home/ini/.ssh/id")
			},
		},
		{
			name: "--ssh-username and --ssh-key-file set [ssh]",
			ov:   Overrides{SSHUsername: strp("cli-user"), SSHKeyFile: strp("/cli/id")},
			check: func(t *testing.T, c *Config) {
				eq(t, "ssh username", c.SSH.Username, "cli-user")
				eq(t, "ssh key_file", c.SSH.KeyFile, "/cli/id")
				eq(t, "key_file", c.Storage.KeyFile, "/etc/medusa/ini-creds")
			},
		},
		{
			name: "an empty flag value replaces the file's",
			ov:   Overrides{Prefix: strp("")},
			check: func(t *testing.T, c *Config) {
				eq(t, "prefix", c.Storage.Prefix, "")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, warns := mustParse(t, overridesINI, tt.ov, nil)
			tt.check(t, cfg)
			equalLines(t, "warnings", warningLines(warns), nil)
		})
	}
}

// TestEnvOverrides: MEDUSA_* variables, the deprecated CQL_* ones, and k8s
// secret files that beat both.
func TestEnvOverrides(t *testing.T) {
	t.Parallel()
	secrets := t.TempDir()
	writeFile(t, filepath.Join(secrets, "username"), "  k8s-user\n")
	writeFile(t, filepath.Join(secrets, "password"), "k8s-pass\n\n")
	tests := []struct {
		name  string
		ini   string
		env   map[string]string
		check func(t *testing.T, c *Config)
		warns []string
	}{
		{
			name: "MEDUSA_ variables",
			env: map[string]string{
				"MEDUSA_CQL_USERNAME": "env-cql", "MEDUSA_CQL_PASSWORD": "env-pass",
				"MEDUSA_NODETOOL_USERNAME": "env-nt", "MEDUSA_NODETOOL_PASSWORD": "env-ntpw",
				"MEDUSA_SSTABLELOADER_TSPW": "env-tspw", "MEDUSA_SSTABLELOADER_KSPW": "env-kspw",
				"MEDUSA_RESOLVE_IP_ADDRESSES": "no",
			},
			check: func(t *testing.T, c *Config) {
				k := c.Cassandra
				eq(t, "cql_username", k.CQLUsername, "env-cql")
				eq(t, "cql_password", k.CQLPassword, "env-pass")
				eq(t, "nodetool_username", k.NodetoolUsername, "env-nt")
				eq(t, "nodetool_password", k.NodetoolPassword, "env-ntpw")
				eq(t, "tspw", k.SstableloaderTSPW, "env-tspw")
				eq(t, "kspw", k.SstableloaderKSPW, "env-kspw")
				eqBool(t, "resolve_ip_addresses", k.ResolveIPAddresses, false)
				eq(t, "fqdn", c.Storage.FQDN, "10.0.0.5")
			},
		},
		{
			name: "deprecated CQL_USERNAME and CQL_PASSWORD",
			env:  map[string]string{"CQL_USERNAME": "old-user", "CQL_PASSWORD": "old-pass"},
			check: func(t *testing.T, c *Config) {
				eq(t, "cql_username", c.Cassandra.CQLUsername, "old-user")
				eq(t, "cql_password", c.Cassandra.CQLPassword, "old-pass")
			},
			warns: []string{
				"[cassandra] cql_username: environment variable CQL_USERNAME is deprecated; use MEDUSA_CQL_USERNAME",
				"[cassandra] cql_password: environment variable CQL_PASSWORD is deprecated; use MEDUSA_CQL_PASSWORD",
			},
		},
		{
			name: "MEDUSA_CQL_USERNAME beats CQL_USERNAME",
			env:  map[string]string{"CQL_USERNAME": "old-user", "MEDUSA_CQL_USERNAME": "new-user"},
			check: func(t *testing.T, c *Config) {
				eq(t, "cql_username", c.Cassandra.CQLUsername, "new-user")
			},
			warns: []string{"[cassandra] cql_username: environment variable CQL_USERNAME is deprecated; use MEDUSA_CQL_USERNAME (both are set; MEDUSA_CQL_USERNAME wins)"},
		},
		{
			name: "empty variables count as unset",
			env:  map[string]string{"MEDUSA_CQL_USERNAME": "", "CQL_PASSWORD": ""},
			check: func(t *testing.T, c *Config) {
				eq(t, "cql_username", c.Cassandra.CQLUsername, "ini-cql")
				eq(t, "cql_password", c.Cassandra.CQLPassword, "ini-pass")
			},
		},
		{
			name: "k8s secrets path from the file beats the environment",
			ini:  "cql_k8s_secrets_path = " + secrets + "\n",
			env:  map[string]string{"MEDUSA_CQL_USERNAME": "env-cql"},
			check: func(t *testing.T, c *Config) {
				eq(t, "cql_username", c.Cassandra.CQLUsername, "k8s-user")
				eq(t, "cql_password", c.Cassandra.CQLPassword, "k8s-pass")
				eq(t, "nodetool_username", c.Cassandra.NodetoolUsername, "ini-nt")
			},
		},
		{
			name: "k8s secrets paths from the environment",
			env: map[string]string{
				"MEDUSA_NODETOOL_K8S_SECRETS_PATH": secrets, "MEDUSA_CQL_K8S_SECRETS_PATH": secrets,
			},
			check: func(t *testing.T, c *Config) {
				eq(t, "nodetool_username", c.Cassandra.NodetoolUsername, "k8s-user")
				eq(t, "nodetool_password", c.Cassandra.NodetoolPassword, "k8s-pass")
				eq(t, "cql_username", c.Cassandra.CQLUsername, "k8s-user")
				eq(t, "path", c.Cassandra.NodetoolK8sSecretsPath, secrets)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, warns := mustParse(t, overridesINI+tt.ini, Overrides{}, tt.env)
			tt.check(t, cfg)
			equalLines(t, "warnings", warningLines(warns), tt.warns)
		})
	}
}

// TestK8sSecretsMissing: unreadable secret files are problems naming them.
func TestK8sSecretsMissing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "username"), "only-user")
	_, _, err := parseText(t, validINI, Overrides{}, map[string]string{"MEDUSA_NODETOOL_K8S_SECRETS_PATH": dir})
	equalLines(t, "problems", problemLines(t, err), []string{
		`medusa.ini: [cassandra] nodetool_k8s_secrets_path = "` + dir + `" (from $MEDUSA_NODETOOL_K8S_SECRETS_PATH): cannot read ` +
			dir + "/password: no such file or directory",
	})
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
