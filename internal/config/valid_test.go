package config

import (
	"strings"
	"testing"
)

// TestUnusualButValid: files that look odd but load, with what they load
// to and the exact warnings they give.
func TestUnusualButValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		ini   string
		env   map[string]string
		check func(t *testing.T, c *Config)
		warns []string
	}{
		{
			name: "UTF-8 BOM",
			ini:  "\ufeff" + validINI,
			check: func(t *testing.T, c *Config) {
				eq(t, "bucket", c.Storage.BucketName, "backups")
			},
		},
		{
			name: "CRLF line ends",
			ini:  strings.ReplaceAll(validINI+"prefix = p\n[checks]\nquery = a\n  b\n", "\n", "\r\n"),
			check: func(t *testing.T, c *Config) {
				eq(t, "prefix", c.Storage.Prefix, "p")
				eq(t, "query", c.Checks.Query, "a\nb")
			},
		},
		{
			name: "CR line ends",
			ini:  strings.ReplaceAll(validINI+"prefix = p\n", "\n", "\r"),
			check: func(t *testing.T, c *Config) {
				eq(t, "prefix", c.Storage.Prefix, "p")
			},
		},
		{
			name: "comments with ; and #, indented too; inline ones are part of the value",
			ini: "; top\n# top\n" + validINI + "  ; indented\n\t# indented\n" +
				"prefix = tenant ; not a comment\n[checks]\nquery = SELECT 1 # neither\n",
			check: func(t *testing.T, c *Config) {
				eq(t, "prefix", c.Storage.Prefix, "tenant ; not a comment")
				eq(t, "query", c.Checks.Query, "SELECT 1 # neither")
			},
		},
		{
			name: "continuation lines, inner blank line kept, comment and trailing blanks dropped",
			ini: validINI + "[checks]\nquery = SELECT *\n    FROM ks.t\n\n  # skipped\n    WHERE k = 1\n\n\n" +
				"expected_result = a,b\n",
			check: func(t *testing.T, c *Config) {
				eq(t, "query", c.Checks.Query, "SELECT *\nFROM ks.t\n\nWHERE k = 1")
				eq(t, "expected_result", c.Checks.ExpectedResult, "a,b")
			},
		},
		{
			name: "indented key after a header is a key, not a continuation",
			ini:  "[storage]\n  storage_provider = local\n  bucket_name = backups\n  base_path = /b\n",
			check: func(t *testing.T, c *Config) {
				eq(t, "bucket", c.Storage.BucketName, "backups")
				eq(t, "base_path", c.Storage.BasePath, "/b")
			},
		},
		{
			name: "DEFAULT fills keys without built-in defaults",
			ini:  "[DEFAULT]\nprefix = shared\ncql_username = reader\n" + validINI,
			check: func(t *testing.T, c *Config) {
				eq(t, "prefix", c.Storage.Prefix, "shared")
				eq(t, "cql_username", c.Cassandra.CQLUsername, "reader")
			},
		},
		{
			name: "section value beats DEFAULT",
			ini:  "[DEFAULT]\nprefix = shared\n" + validINI + "prefix = own\n",
			check: func(t *testing.T, c *Config) {
				eq(t, "prefix", c.Storage.Prefix, "own")
			},
		},
		{
			name: "DEFAULT does not beat a built-in default, as in Medusa",
			ini:  "[DEFAULT]\nconcurrent_transfers = 8\n" + validINI,
			check: func(t *testing.T, c *Config) {
				eqInt(t, "concurrent_transfers", c.Storage.ConcurrentTransfers, 1)
			},
			warns: []string{"[DEFAULT] concurrent_transfers: not applied to [storage], which has a built-in default (as in Medusa); set it in that section"},
		},
		{
			name: "keys are case-insensitive, provider lower-cased",
			ini:  "[storage]\nSTORAGE_PROVIDER = LOCAL\nBucket_Name = backups\nBase_Path = /b\n",
			check: func(t *testing.T, c *Config) {
				eq(t, "provider", c.Storage.StorageProvider, "local")
				eq(t, "bucket", c.Storage.BucketName, "backups")
			},
		},
		{
			name: "colon delimiter, extra spaces, = and : inside values",
			ini: "[storage]\nstorage_provider:local\nbucket_name   =   backups  \nbase_path: /b\n" +
				"[cassandra]\nstart_cmd = sh -c 'A=b: c'\nstop_cmd: x = y\n",
			check: func(t *testing.T, c *Config) {
				eq(t, "bucket", c.Storage.BucketName, "backups")
				eq(t, "start_cmd", c.Cassandra.StartCmd, "sh -c 'A=b: c'")
				eq(t, "stop_cmd", c.Cassandra.StopCmd, "x = y")
			},
		},
		{
			name: "section header with trailing text",
			ini:  "[storage] ; main section\nstorage_provider = local\nbucket_name = b\nbase_path = /b\n",
			check: func(t *testing.T, c *Config) {
				eq(t, "bucket", c.Storage.BucketName, "b")
			},
		},
		{
			name: "human sizes",
			ini: validINI + "transfer_max_bandwidth = 100 MB/s\nmulti_part_upload_threshold = 1.5MB\n" +
				"multipart_chunksize = 104857600\n",
			check: func(t *testing.T, c *Config) {
				eqInt(t, "bandwidth", c.Storage.TransferMaxBandwidth, 100<<20)
				eqInt(t, "threshold", c.Storage.MultiPartUploadThreshold, 1572864)
				eqInt(t, "chunk", c.Storage.MultipartChunksize, 100<<20)
			},
		},
		{
			name: "empty transfer_max_bandwidth is unlimited",
			ini:  validINI + "transfer_max_bandwidth =\n",
			check: func(t *testing.T, c *Config) {
				eqInt(t, "bandwidth", c.Storage.TransferMaxBandwidth, 0)
			},
		},
		{
			name: "configparser booleans in any case",
			ini: validINI + "secure = OFF\nssl_verify = Yes\n[cassandra]\nuse_sudo = 0\nis_ccm = 1\nnodetool_ssl = true\n" +
				"[ssh]\nuse_pty = on\n[grpc]\nenabled = TRUE\n",
			check: func(t *testing.T, c *Config) {
				eqBool(t, "secure", c.Storage.Secure, false)
				eqBool(t, "ssl_verify", c.Storage.SSLVerify, true)
				eqBool(t, "use_sudo", c.Cassandra.UseSudo, false)
				eqBool(t, "is_ccm", c.Cassandra.IsCCM, true)
				eqBool(t, "nodetool_ssl", c.Cassandra.NodetoolSSL, true)
				eqBool(t, "use_pty", c.SSH.UsePTY, true)
				eqBool(t, "grpc", c.GRPC.Enabled, true)
			},
		},
		{
			name: "s3_compatible, storage class and enums normalised",
			ini: "[storage]\nstorage_provider = S3_Compatible\nbucket_name = b\nhost = minio.local\nport = 9000\n" +
				"storage_class = standard_ia\ns3_addressing_style = PATH\n[checks]\nhealth_check = ALL\n" +
				"[monitoring]\nmonitoring_provider = DOG-STATSD\n[logging]\nlevel = debug\n",
			check: func(t *testing.T, c *Config) {
				eq(t, "provider", c.Storage.StorageProvider, "s3_compatible")
				eq(t, "backend", string(c.Storage.Backend()), "s3_compatible")
				eqInt(t, "port", c.Storage.Port, 9000)
				eq(t, "class", c.Storage.StorageClass, "STANDARD_IA")
				eq(t, "style", c.Storage.S3AddressingStyle, "path")
				eq(t, "health", c.Checks.HealthCheck, "all")
				eq(t, "monitoring", c.Monitoring.MonitoringProvider, "dog-statsd")
				eq(t, "level", c.Logging.Level, "DEBUG")
			},
		},
		{
			name: "legacy provider name gives the region",
			ini:  "[storage]\nstorage_provider = s3_us_west_oregon\nbucket_name = b\n",
			check: func(t *testing.T, c *Config) {
				eq(t, "backend", string(c.Storage.Backend()), "s3")
				r, err := c.Storage.S3Region()
				eq(t, "region", r, "us-west-2")
				if err != nil {
					t.Error(err)
				}
			},
		},
		{
			name: "ibm_storage is s3_compatible with a warning",
			ini:  "[storage]\nstorage_provider = ibm_storage\nbucket_name = b\nhost = s3.ibm.example\n",
			check: func(t *testing.T, c *Config) {
				eq(t, "backend", string(c.Storage.Backend()), "s3_compatible")
			},
			warns: []string{"[storage] storage_provider: ibm_storage is handled as s3_compatible (endpoint from host and port); prefer storage_provider = s3_compatible"},
		},
		{
			name: "kubernetes forces sudo off and uses POD_IP",
			ini:  validINI + "use_sudo_for_restore = yes\n[cassandra]\nuse_sudo = true\n[kubernetes]\nenabled = true\ncassandra_url = None\n",
			env:  map[string]string{"POD_IP": "10.1.2.3"},
			check: func(t *testing.T, c *Config) {
				eqBool(t, "use_sudo", c.Cassandra.UseSudo, false)
				eqBool(t, "use_sudo_for_restore", c.Storage.UseSudoForRestore, false)
				eqBool(t, "k8s_mode", c.Storage.K8sMode, true)
				eq(t, "fqdn", c.Storage.FQDN, "10.1.2.3")
				eq(t, "cassandra_url", c.Kubernetes.CassandraURL, "")
			},
			warns: []string{
				"[cassandra] use_sudo: forced to False because [kubernetes] enabled is true",
				"[storage] use_sudo_for_restore: forced to False because [kubernetes] enabled is true",
			},
		},
		{
			name: "typo key, key of another section, unknown and misspelt sections",
			ini: validINI + "bucket_nme = x\ncql_username = u\n[cassandr]\nfoo = 1\n[foo]\n" +
				"[storage_extra]\n",
			check: func(t *testing.T, c *Config) {
				eq(t, "cql_username", c.Cassandra.CQLUsername, "")
			},
			warns: []string{
				"[storage] bucket_nme: unknown key, ignored; did you mean bucket_name?",
				"[storage] cql_username: unknown key, ignored; cql_username belongs in [cassandra]",
				"[cassandr]: unknown section, ignored; did you mean [cassandra]?",
				"[foo]: unknown section, ignored",
				"[storage_extra]: unknown section, ignored",
			},
		},
		{
			name: "k8s_mode and unknown DEFAULT keys are ignored with a warning",
			ini:  "[DEFAULT]\ncolour = blue\nbuket_name = x\n" + validINI + "k8s_mode = True\n",
			check: func(t *testing.T, c *Config) {
				eqBool(t, "k8s_mode", c.Storage.K8sMode, false)
				eq(t, "bucket", c.Storage.BucketName, "backups")
			},
			warns: []string{
				"[storage] k8s_mode: set from [kubernetes] enabled; the value in the file is ignored",
				"[DEFAULT] colour: unknown key, ignored",
				"[DEFAULT] buket_name: unknown key, ignored; did you mean bucket_name?",
			},
		},
		{
			name: "resolve_ip_addresses false gives the IP as fqdn",
			ini:  validINI + "[cassandra]\nresolve_ip_addresses = False\n",
			check: func(t *testing.T, c *Config) {
				eq(t, "fqdn", c.Storage.FQDN, "10.0.0.5")
			},
		},
		{
			name: "explicit fqdn is used verbatim",
			ini:  validINI + "fqdn = node7.dc1\n",
			check: func(t *testing.T, c *Config) {
				eq(t, "fqdn", c.Storage.FQDN, "node7.dc1")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, warns := mustParse(t, tt.ini, Overrides{}, tt.env)
			tt.check(t, cfg)
			equalLines(t, "warnings", warningLines(warns), tt.warns)
		})
	}
}

func eq(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func eqInt[N int | int64](t *testing.T, what string, got, want N) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %d, want %d", what, got, want)
	}
}

func eqBool(t *testing.T, what string, got, want bool) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}
