package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestDefaults asserts every default of Medusa's medusa.ini (docs/compatibility.md) on the smallest valid file.
func TestDefaults(t *testing.T) {
	t.Parallel()
	cfg, warns := mustParse(t, validINI, Overrides{}, nil)
	if len(warns) != 0 {
		t.Errorf("warnings = %v, want none", warns)
	}
	want := &Config{
		File: "medusa.ini",
		Storage: Storage{
			StorageProvider:          "local",
			BucketName:               "backups",
			BasePath:                 "/mnt/backups",
			FQDN:                     "node1.example.com",
			HostFileSeparator:        ",",
			MaxBackupAge:             0,
			MaxBackupCount:           0,
			APIProfile:               "",
			TransferMaxBandwidth:     50 << 20,
			ConcurrentTransfers:      1,
			MultiPartUploadThreshold: 20 << 20,
			MultipartChunksize:       50 << 20,
			MultipartMaxConcurrency:  4,
			Secure:                   true,
			SSLVerify:                false,
			S3AddressingStyle:        "auto",
			Region:                   "default",
			BackupGracePeriodInDays:  10,
			UseSudoForRestore:        true,
			AWSCLIPath:               "aws",

			AbortIncompleteUploadsAfterHours: 24,
			ObjectLockMode:                   "governance",
		},
		Cassandra: Cassandra{
			ConfigFile:         "/etc/cassandra/cassandra.yaml",
			StartCmd:           "sudo service cassandra start",
			StopCmd:            "sudo service cassandra stop",
			CheckRunning:       "nodetool version",
			IsCCM:              false,
			NodetoolExecutable: "nodetool",
			NodetoolFlags:      "-Dcom.sun.jndi.rmiURLParsing=legacy",
			SstableloaderBin:   "sstableloader",
			ResolveIPAddresses: true,
			UseSudo:            true,

			CQLRetrySeconds: 390,
		},
		SSH: SSH{Username: "cassandra", KeyFile: "", Port: 22, CertFile: "", KeepaliveSeconds: 60,
			KnownHostsFile: "~/.ssh/known_hosts", HostKeyPolicy: "strict"},
		Checks: Checks{
			HealthCheck: "cql", ExpectedRows: 0, EnableMD5Checks: false, MD5CheckConcurrency: 1,
		},
		Monitoring: Monitoring{MonitoringProvider: "None", SendBackupNameTag: false,
			PrometheusTextfileDir: DefaultPrometheusTextfileDir, BackupOverdueHours: 26},
		Logging: Logging{
			Enabled: false, File: "medusa.log", Level: "INFO",
			Format:   "[%(asctime)s] %(levelname)s: %(message)s",
			MaxBytes: 20000000, BackupCount: 50,
		},
		GRPC: GRPC{
			Enabled: false, Port: 50051,
			MaxSendMessageLength: 536870912, MaxReceiveMessageLength: 134217728,
		},
		Kubernetes: Kubernetes{Enabled: false, CassandraURL: "", UseMgmtAPI: false},
		Commitlog:  Commitlog{Precision: "MICROSECONDS", RetentionGrace: 24 * time.Hour, SyncInterval: time.Minute},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("defaults:\ngot  %+v\nwant %+v", *cfg, *want)
	}
	if got := cfg.Cassandra.NodetoolFlagList(); !reflect.DeepEqual(got, []string{"-Dcom.sun.jndi.rmiURLParsing=legacy"}) {
		t.Errorf("NodetoolFlagList = %q", got)
	}
	if got := cfg.Storage.Backend(); got != BackendLocal {
		t.Errorf("Backend = %q, want local", got)
	}
}

// TestDefaultSSHUserWithoutUSER: [ssh] username defaults to $USER or "".
func TestDefaultSSHUserWithoutUSER(t *testing.T) {
	t.Parallel()
	l := &Loader{Resolver: testResolver}
	cfg, _, err := l.Parse(t.Context(), "medusa.ini", strings.NewReader(validINI), Overrides{}, envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SSH.Username != "" {
		t.Errorf("ssh username = %q, want empty without $USER", cfg.SSH.Username)
	}
}

// TestEveryFieldIsBound guards the key table: each key fills a distinct
// field, so a copy-paste slip in fields.go cannot go unnoticed.
func TestEveryFieldIsBound(t *testing.T) {
	t.Parallel()
	var c Config
	seen := map[uintptr]string{}
	for _, sec := range c.specs("") {
		for _, k := range sec.keys {
			id := reflect.ValueOf(k.v).Field(0).Pointer()
			key := "[" + sec.name + "] " + k.name
			if other, dup := seen[id]; dup {
				t.Errorf("%s and %s fill the same field", key, other)
			}
			seen[id] = key
		}
	}
	// Fields of the section structs: every one but Storage.K8sMode is a key.
	fields := 0
	for _, s := range []any{c.Storage, c.Cassandra, c.SSH, c.Checks, c.Monitoring, c.Logging, c.GRPC, c.Kubernetes, c.Commitlog} {
		fields += reflect.TypeOf(s).NumField()
	}
	if len(seen) != fields-1 {
		t.Errorf("%d keys bound, want %d (all fields but Storage.K8sMode)", len(seen), fields-1)
	}
}
