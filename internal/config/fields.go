package config

// keySpec describes one medusa.ini key: its built-in default (Medusa's
// _build_default_config), whether it is required or secret, and the typed
// field it fills.
type keySpec struct {
	name     string
	def      string
	hasDef   bool
	required bool
	secret   bool
	v        value
}

type sectionSpec struct {
	name string
	keys []keySpec
}

func (s sectionSpec) key(name string) (keySpec, bool) {
	for _, k := range s.keys {
		if k.name == name {
			return k, true
		}
	}
	return keySpec{}, false
}

// def is a key with a built-in default; opt one without.
func def(name, d string, v value) keySpec { return keySpec{name: name, def: d, hasDef: true, v: v} }
func opt(name string, v value) keySpec    { return keySpec{name: name, v: v} }
func secret(name string, v value) keySpec { return keySpec{name: name, secret: true, v: v} }
func required(name string, v value) keySpec {
	return keySpec{name: name, required: true, v: v}
}

// ignoredKeys are read by Medusa but not taken from the file.
var ignoredKeys = map[string]map[string]string{
	"storage": {"k8s_mode": "set from [kubernetes] enabled; the value in the file is ignored"},
}

// specs binds every known key, in Medusa's order, to the fields of c.
// user is the default of [ssh] username ($USER).
func (c *Config) specs(user string) []sectionSpec {
	return append([]sectionSpec{c.storageSpec(), c.cassandraSpec()}, c.otherSpecs(user)...)
}

func (c *Config) storageSpec() sectionSpec {
	s := &c.Storage
	return sectionSpec{"storage", []keySpec{
		required("storage_provider", providerV{&s.StorageProvider}),
		required("bucket_name", noSlashV{&s.BucketName}),
		opt("key_file", strV{&s.KeyFile}),
		opt("prefix", noSlashV{&s.Prefix}),
		opt("fqdn", strV{&s.FQDN}),
		def("host_file_separator", ",", strV{&s.HostFileSeparator}),
		opt("base_path", strV{&s.BasePath}),
		opt("storage_class", upperV{&s.StorageClass}),
		def("max_backup_age", "0", intV{p: &s.MaxBackupAge}),
		def("max_backup_count", "0", intV{p: &s.MaxBackupCount}),
		def("api_profile", "", strV{&s.APIProfile}),
		def("transfer_max_bandwidth", "50MB/s", sizeV{p: &s.TransferMaxBandwidth, zeroEmpty: true, perSec: true}),
		def("concurrent_transfers", "1", intV{p: &s.ConcurrentTransfers, min: 1}),
		def("multi_part_upload_threshold", "20971520", sizeV{p: &s.MultiPartUploadThreshold}),
		def("multipart_chunksize", "50MB", sizeV{p: &s.MultipartChunksize, min: 1}),
		def("multipart_max_concurrency", "4", intV{p: &s.MultipartMaxConcurrency, min: 1}),
		def("secure", "True", boolV{p: &s.Secure}),
		def("ssl_verify", "False", boolV{p: &s.SSLVerify}),
		def("s3_addressing_style", "auto", enumV{&s.S3AddressingStyle, []string{"auto", "path", "virtual"}}),
		def("region", "default", strV{&s.Region}),
		opt("host", strV{&s.Host}),
		opt("port", intV{p: &s.Port, min: 1, max: 65535, optional: true}),
		opt("kms_id", strV{&s.KMSID}),
		secret("sse_c_key", sseKeyV{&s.SSECKey}),
		opt("encryption_key_file", strV{&s.EncryptionKeyFile}),
		opt("read_timeout", intV{p: &s.ReadTimeout, optional: true}),
		def("backup_grace_period_in_days", "10", intV{p: &s.BackupGracePeriodInDays}),
		def("use_sudo_for_restore", "True", boolV{p: &s.UseSudoForRestore}),
		def("aws_cli_path", "aws", strV{&s.AWSCLIPath}),
		def("abort_incomplete_uploads_after_hours", "24", intV{p: &s.AbortIncompleteUploadsAfterHours, max: 87600}),
		def("object_lock_days", "0", intV{p: &s.ObjectLockDays, max: 36500}),
		def("object_lock_mode", "governance", enumV{&s.ObjectLockMode, []string{"governance", "compliance"}}),
	}}
}

func (c *Config) cassandraSpec() sectionSpec {
	k := &c.Cassandra
	return sectionSpec{"cassandra", append([]keySpec{
		def("config_file", "/etc/cassandra/cassandra.yaml", strV{&k.ConfigFile}),
		def("start_cmd", "sudo service cassandra start", strV{&k.StartCmd}),
		def("stop_cmd", "sudo service cassandra stop", strV{&k.StopCmd}),
		def("check_running", "nodetool version", strV{&k.CheckRunning}),
		def("is_ccm", "0", boolV{p: &k.IsCCM, numeric: true}),
		opt("cql_username", strV{&k.CQLUsername}),
		secret("cql_password", strV{&k.CQLPassword}),
		opt("cql_k8s_secrets_path", strV{&k.CQLK8sSecretsPath}),
		opt("nodetool_username", strV{&k.NodetoolUsername}),
		secret("nodetool_password", strV{&k.NodetoolPassword}),
		opt("nodetool_password_file_path", strV{&k.NodetoolPasswordFilePath}),
		opt("nodetool_host", strV{&k.NodetoolHost}),
		opt("nodetool_port", intV{p: &k.NodetoolPort, min: 1, max: 65535, optional: true}),
		opt("nodetool_k8s_secrets_path", strV{&k.NodetoolK8sSecretsPath}),
		def("nodetool_executable", "nodetool", strV{&k.NodetoolExecutable}),
		def("nodetool_flags", "-Dcom.sun.jndi.rmiURLParsing=legacy", strV{&k.NodetoolFlags}),
		opt("nodetool_ssl", boolV{p: &k.NodetoolSSL, optional: true}),
		opt("certfile", strV{&k.Certfile}),
		opt("usercert", strV{&k.Usercert}),
		opt("userkey", strV{&k.Userkey}),
		def("sstableloader_bin", "sstableloader", strV{&k.SstableloaderBin}),
		opt("sstableloader_ts", strV{&k.SstableloaderTS}),
		secret("sstableloader_tspw", strV{&k.SstableloaderTSPW}),
		opt("sstableloader_ks", strV{&k.SstableloaderKS}),
		secret("sstableloader_kspw", strV{&k.SstableloaderKSPW}),
		def("resolve_ip_addresses", "True", boolV{p: &k.ResolveIPAddresses}),
		def("use_sudo", "True", boolV{p: &k.UseSudo}),
		def("cql_retry_seconds", "390", intV{p: &k.CQLRetrySeconds, min: 1, max: 86400}),
	}, c.commitlogKeys()...)}
}

func (c *Config) otherSpecs(user string) []sectionSpec {
	return []sectionSpec{
		{"ssh", []keySpec{
			def("username", user, strV{&c.SSH.Username}),
			def("key_file", "", strV{&c.SSH.KeyFile}),
			def("port", "22", intV{p: &c.SSH.Port, min: 1, max: 65535}),
			def("cert_file", "", strV{&c.SSH.CertFile}),
			def("use_pty", "False", boolV{p: &c.SSH.UsePTY}),
			def("keepalive_seconds", "60", intV{p: &c.SSH.KeepaliveSeconds}),
			def("login_shell", "False", boolV{p: &c.SSH.LoginShell}),
			def("known_hosts_file", "~/.ssh/known_hosts", strV{&c.SSH.KnownHostsFile}),
			def("host_key_policy", HostKeyStrict, enumV{&c.SSH.HostKeyPolicy, []string{HostKeyStrict, HostKeyAcceptNew}}),
		}},
		{"checks", []keySpec{
			def("health_check", "cql", enumV{&c.Checks.HealthCheck, []string{"cql", "thrift", "all"}}),
			def("query", "", strV{&c.Checks.Query}),
			def("expected_rows", "0", intV{p: &c.Checks.ExpectedRows}),
			def("expected_result", "", strV{&c.Checks.ExpectedResult}),
			def("enable_md5_checks", "false", boolV{p: &c.Checks.EnableMD5Checks}),
			def("md5_check_concurrency", "1", intV{p: &c.Checks.MD5CheckConcurrency, min: 1}),
		}},
		{"monitoring", []keySpec{
			def("monitoring_provider", MonitoringNone, enumV{&c.Monitoring.MonitoringProvider,
				[]string{MonitoringNone, MonitoringLocal, MonitoringDogStatsd, MonitoringPrometheus}}),
			def("send_backup_name_tag", "False", boolV{p: &c.Monitoring.SendBackupNameTag}),
			def("prometheus_textfile_dir", DefaultPrometheusTextfileDir, strV{&c.Monitoring.PrometheusTextfileDir}),
			def("prometheus_listen", "", listenV{&c.Monitoring.PrometheusListen}),
			def("backup_overdue_hours", "26", intV{p: &c.Monitoring.BackupOverdueHours, min: 1}),
		}},
		{"logging", []keySpec{
			def("enabled", "false", boolV{p: &c.Logging.Enabled}),
			def("file", "medusa.log", strV{&c.Logging.File}),
			def("level", "INFO", enumV{&c.Logging.Level, []string{"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}}),
			def("format", "[%(asctime)s] %(levelname)s: %(message)s", strV{&c.Logging.Format}),
			def("maxbytes", "20000000", intV{p: &c.Logging.MaxBytes}),
			def("backupcount", "50", intV{p: &c.Logging.BackupCount}),
		}},
		{"grpc", []keySpec{
			def("enabled", "False", boolV{p: &c.GRPC.Enabled}),
			def("port", "50051", intV{p: &c.GRPC.Port, min: 1, max: 65535}),
			def("max_send_message_length", "536870912", intV{p: &c.GRPC.MaxSendMessageLength, min: 1}),
			def("max_receive_message_length", "134217728", intV{p: &c.GRPC.MaxReceiveMessageLength, min: 1}),
			opt("ca_cert", strV{&c.GRPC.CACert}),
			opt("tls_cert", strV{&c.GRPC.TLSCert}),
			opt("tls_key", strV{&c.GRPC.TLSKey}),
		}},
		{"kubernetes", []keySpec{
			def("enabled", "False", boolV{p: &c.Kubernetes.Enabled}),
			def("cassandra_url", "None", noneV{&c.Kubernetes.CassandraURL}),
			def("use_mgmt_api", "False", boolV{p: &c.Kubernetes.UseMgmtAPI}),
			def("ca_cert", "", strV{&c.Kubernetes.CACert}),
			def("tls_cert", "", strV{&c.Kubernetes.TLSCert}),
			def("tls_key", "", strV{&c.Kubernetes.TLSKey}),
		}},
	}
}
