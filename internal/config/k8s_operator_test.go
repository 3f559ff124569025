package config

import (
	"strings"
	"testing"
)

// operatorS3Compatible is, byte for byte, the medusa.ini k8ssandra-operator
// (CreateMedusaIni, v1.32) writes into its ConfigMap for a K8ssandraCluster
// "demo" with s3_compatible storage on MinIO (host, port, secure false),
// a storage Secret and no encryption: a leading blank line, every line,
// section headers included, indented by 4 spaces, no final newline.
const operatorS3Compatible = `
    [cassandra]
    use_sudo = false

    [storage]
    use_sudo_for_restore = false
    storage_provider = s3_compatible
    bucket_name = k8ssandra-medusa
    key_file = /etc/medusa-secrets/credentials
    prefix = demo
    max_backup_age = 0
    max_backup_count = 0
    host = minio.minio.svc.cluster.local
    port = 9000
    secure = False
    ssl_verify = False
    transfer_max_bandwidth = 50MB/s
    concurrent_transfers = 1
    multi_part_upload_threshold = 104857600

    [grpc]
    enabled = 1

    [logging]
    level = DEBUG

    [kubernetes]
    use_mgmt_api = 1
    enabled = 1
    cassandra_url = http://127.0.0.1:8080/api/v0/ops/node/snapshots`

// operatorMTLS is what the operator writes with Cassandra client
// certificates (certificatesSecretRef), a gRPC port and gRPC mTLS
// (serviceProperties.encryption), every optional storage key set, and the
// Management API behind manual mTLS (the DC's managementApiAuth.manual).
const operatorMTLS = `
    [cassandra]
    use_sudo = false
    certfile = /etc/certificates/rootca.crt
    usercert = /etc/certificates/client.crt_signed
    userkey = /etc/certificates/client.key

    [storage]
    use_sudo_for_restore = false
    storage_provider = s3_compatible
    bucket_name = k8ssandra-medusa
    key_file = /etc/medusa-secrets/credentials
    prefix = dc1-backups
    max_backup_age = 7
    max_backup_count = 10
    region = eu-west-1
    host = s3.internal.example
    port = 443
    secure = True
    ssl_verify = True
    backup_grace_period_in_days = 3
    api_profile = default
    transfer_max_bandwidth = 100MB/s
    concurrent_transfers = 4
    multi_part_upload_threshold = 104857600

    [grpc]
    enabled = 1
    port = 50055
    ca_cert = /etc/certificates/grpc-server-certs/ca.crt
    tls_cert = /etc/certificates/grpc-server-certs/tls.crt
    tls_key = /etc/certificates/grpc-server-certs/tls.key

    [logging]
    level = DEBUG

    [kubernetes]
    use_mgmt_api = 1
    enabled = 1
    cassandra_url = https://127.0.0.1:8080/api/v0/ops/node/snapshots
    ca_cert = /etc/encryption/mgmt/ca.crt
    tls_cert = /etc/encryption/mgmt/tls.crt
    tls_key = /etc/encryption/mgmt/tls.key`

// podEnv is the environment the operator gives the medusa containers:
// POD_NAME from the downward API, CQL_USERNAME/CQL_PASSWORD from the
// Cassandra user Secret, and no POD_IP.
var podEnv = map[string]string{
	"POD_NAME":       "demo-dc1-default-sts-0",
	"CQL_USERNAME":   "demo-medusa",
	"CQL_PASSWORD":   "s3cr3t-from-secret",
	"MEDUSA_MODE":    "GRPC",
	"MEDUSA_TMP_DIR": "/var/lib/cassandra",
}

// deprecatedCQLEnv are the warnings the operator's CQL_* variables give.
var deprecatedCQLEnv = []string{
	"[cassandra] cql_username: environment variable CQL_USERNAME is deprecated; use MEDUSA_CQL_USERNAME",
	"[cassandra] cql_password: environment variable CQL_PASSWORD is deprecated; use MEDUSA_CQL_PASSWORD",
}

func TestOperatorMedusaINIS3Compatible(t *testing.T) {
	t.Parallel()
	if !strings.HasPrefix(operatorS3Compatible, "\n    [cassandra]\n") || strings.HasSuffix(operatorS3Compatible, "\n") {
		t.Fatal("the golden text lost the operator's leading blank line or gained a final newline")
	}
	c, warns := mustParse(t, operatorS3Compatible, Overrides{}, podEnv)
	equalLines(t, "warnings", warningLines(warns), deprecatedCQLEnv)
	checkOperatorCommon(t, c)

	s := c.Storage
	eq(t, "storage_provider", s.StorageProvider, "s3_compatible")
	eq(t, "backend", string(s.Backend()), string(BackendS3Compatible))
	eq(t, "bucket_name", s.BucketName, "k8ssandra-medusa")
	eq(t, "key_file", s.KeyFile, "/etc/medusa-secrets/credentials")
	eq(t, "prefix", s.Prefix, "demo")
	eqInt(t, "max_backup_age", s.MaxBackupAge, 0)
	eqInt(t, "max_backup_count", s.MaxBackupCount, 0)
	eq(t, "host", s.Host, "minio.minio.svc.cluster.local")
	eqInt(t, "port", s.Port, 9000)
	eqBool(t, "secure", s.Secure, false)
	eqBool(t, "ssl_verify", s.SSLVerify, false)
	eq(t, "region (not written: Medusa's default)", s.Region, "default")
	eqInt(t, "transfer_max_bandwidth", s.TransferMaxBandwidth, 50<<20)
	eqInt(t, "concurrent_transfers", s.ConcurrentTransfers, 1)
	eqInt(t, "multi_part_upload_threshold", s.MultiPartUploadThreshold, 104857600)
	eqInt(t, "backup_grace_period_in_days (default)", s.BackupGracePeriodInDays, 10)
	eq(t, "api_profile (not written)", s.APIProfile, "")

	c2 := c.Cassandra
	eq(t, "certfile", c2.Certfile, "")
	eq(t, "usercert", c2.Usercert, "")
	eq(t, "userkey", c2.Userkey, "")

	g := c.GRPC
	eqBool(t, "[grpc] enabled", g.Enabled, true)
	eqInt(t, "[grpc] port (default)", g.Port, 50051)
	eq(t, "[grpc] ca_cert", g.CACert, "")
	eq(t, "[grpc] tls_cert", g.TLSCert, "")
	eq(t, "[grpc] tls_key", g.TLSKey, "")

	k := c.Kubernetes
	eq(t, "cassandra_url", k.CassandraURL, "http://127.0.0.1:8080/api/v0/ops/node/snapshots")
	eq(t, "[kubernetes] ca_cert", k.CACert, "")
	eq(t, "[kubernetes] tls_cert", k.TLSCert, "")
	eq(t, "[kubernetes] tls_key", k.TLSKey, "")
}

func TestOperatorMedusaINIMTLS(t *testing.T) {
	t.Parallel()
	c, warns := mustParse(t, operatorMTLS, Overrides{}, podEnv)
	equalLines(t, "warnings", warningLines(warns), deprecatedCQLEnv)
	checkOperatorCommon(t, c)

	s := c.Storage
	eq(t, "storage_provider", s.StorageProvider, "s3_compatible")
	eq(t, "bucket_name", s.BucketName, "k8ssandra-medusa")
	eq(t, "key_file", s.KeyFile, "/etc/medusa-secrets/credentials")
	eq(t, "prefix", s.Prefix, "dc1-backups")
	eqInt(t, "max_backup_age", s.MaxBackupAge, 7)
	eqInt(t, "max_backup_count", s.MaxBackupCount, 10)
	eq(t, "region", s.Region, "eu-west-1")
	eq(t, "host", s.Host, "s3.internal.example")
	eqInt(t, "port", s.Port, 443)
	eqBool(t, "secure", s.Secure, true)
	eqBool(t, "ssl_verify", s.SSLVerify, true)
	eqInt(t, "backup_grace_period_in_days", s.BackupGracePeriodInDays, 3)
	eq(t, "api_profile", s.APIProfile, "default")
	eqInt(t, "transfer_max_bandwidth", s.TransferMaxBandwidth, 100<<20)
	eqInt(t, "concurrent_transfers", s.ConcurrentTransfers, 4)
	eqInt(t, "multi_part_upload_threshold", s.MultiPartUploadThreshold, 104857600)

	c2 := c.Cassandra
	eq(t, "certfile", c2.Certfile, "/etc/certificates/rootca.crt")
	eq(t, "usercert", c2.Usercert, "/etc/certificates/client.crt_signed")
	eq(t, "userkey", c2.Userkey, "/etc/certificates/client.key")

	g := c.GRPC
	eqBool(t, "[grpc] enabled", g.Enabled, true)
	eqInt(t, "[grpc] port", g.Port, 50055)
	eq(t, "[grpc] ca_cert", g.CACert, "/etc/certificates/grpc-server-certs/ca.crt")
	eq(t, "[grpc] tls_cert", g.TLSCert, "/etc/certificates/grpc-server-certs/tls.crt")
	eq(t, "[grpc] tls_key", g.TLSKey, "/etc/certificates/grpc-server-certs/tls.key")

	k := c.Kubernetes
	eq(t, "cassandra_url", k.CassandraURL, "https://127.0.0.1:8080/api/v0/ops/node/snapshots")
	eq(t, "[kubernetes] ca_cert", k.CACert, "/etc/encryption/mgmt/ca.crt")
	eq(t, "[kubernetes] tls_cert", k.TLSCert, "/etc/encryption/mgmt/tls.crt")
	eq(t, "[kubernetes] tls_key", k.TLSKey, "/etc/encryption/mgmt/tls.key")
}

// checkOperatorCommon checks what every operator medusa.ini gives with the
// pod's environment: Kubernetes mode with the Management API, sudo off,
// DEBUG logging, the pod name as the node's identity, the CQL user from
// the Secret, and Medusa's defaults for what the operator never writes.
func checkOperatorCommon(t *testing.T, c *Config) {
	t.Helper()
	eqBool(t, "[kubernetes] enabled", c.Kubernetes.Enabled, true)
	eqBool(t, "use_mgmt_api", c.Kubernetes.UseMgmtAPI, true)
	eqBool(t, "k8s_mode", c.Storage.K8sMode, true)
	eqBool(t, "use_sudo", c.Cassandra.UseSudo, false)
	eqBool(t, "use_sudo_for_restore", c.Storage.UseSudoForRestore, false)
	eq(t, "[logging] level", c.Logging.Level, "DEBUG")
	eq(t, "fqdn", c.Storage.FQDN, "demo-dc1-default-sts-0")
	eq(t, "cql_username", c.Cassandra.CQLUsername, "demo-medusa")
	eq(t, "cql_password", c.Cassandra.CQLPassword, "s3cr3t-from-secret")
	eq(t, "config_file (default)", c.Cassandra.ConfigFile, "/etc/cassandra/cassandra.yaml")
	eqBool(t, "resolve_ip_addresses (default)", c.Cassandra.ResolveIPAddresses, true)
}

// TestKubernetesNodeName: in Kubernetes mode the node's identity is
// $POD_IP (Medusa), else [storage] fqdn or --fqdn when set, else
// $POD_NAME, else the first label of the PTR name (Medusa).
func TestKubernetesNodeName(t *testing.T) {
	t.Parallel()
	const section = "[kubernetes]\nenabled = 1\nuse_mgmt_api = 1\ncassandra_url = http://127.0.0.1:8080/api/v0/ops/node/snapshots\n"
	const k8s = validINI + section
	k8sPTR := fakeResolver{local: "node1", ips: map[string]string{"node1": "10.0.0.5"},
		names: map[string][]string{"10.0.0.5": {"10-0-0-5.demo.pod.cluster.local", "demo-dc1-default-sts-2.demo-dc1-all-pods-service.ns.svc.cluster.local"}}}
	tests := []struct {
		name     string
		ini      string
		ov       Overrides
		env      map[string]string
		resolver Resolver
		want     string
	}{
		{"POD_NAME", k8s, Overrides{}, map[string]string{"POD_NAME": "demo-dc1-default-sts-0"}, nil, "demo-dc1-default-sts-0"},
		{"POD_IP wins over POD_NAME", k8s, Overrides{}, map[string]string{"POD_IP": "10.1.2.3", "POD_NAME": "demo-dc1-default-sts-0"}, nil, "10.1.2.3"},
		{"fqdn in the file wins over POD_NAME", validINI + "fqdn = from-file\n" + section, Overrides{}, map[string]string{"POD_NAME": "p-0"}, nil, "from-file"},
		{"--fqdn wins over POD_NAME", k8s, Overrides{FQDN: strp("node-x")}, map[string]string{"POD_NAME": "p-0"}, nil, "node-x"},
		{"without POD_NAME: the PTR name's first label that is not an encoded IP", k8s, Overrides{}, nil, k8sPTR, "demo-dc1-default-sts-2"},
		{"POD_NAME is ignored outside Kubernetes mode", validINI, Overrides{}, map[string]string{"POD_NAME": "p-0"}, nil, "node1.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &Loader{Resolver: testResolver}
			if tt.resolver != nil {
				l.Resolver = tt.resolver
			}
			c, _, err := l.parse(t.Context(), "medusa.ini", []byte(tt.ini), tt.ov, envOf(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			eq(t, "fqdn", c.Storage.FQDN, tt.want)
		})
	}
}

// TestKubernetesCQLCredentials: the operator's CQL_USERNAME/CQL_PASSWORD
// are honoured (with a deprecation warning) and MEDUSA_CQL_* win.
func TestKubernetesCQLCredentials(t *testing.T) {
	t.Parallel()
	env := map[string]string{"POD_NAME": "p-0", "CQL_USERNAME": "old-user", "CQL_PASSWORD": "old-pass",
		"MEDUSA_CQL_USERNAME": "new-user", "MEDUSA_CQL_PASSWORD": "new-pass"}
	c, warns := mustParse(t, operatorS3Compatible, Overrides{}, env)
	eq(t, "cql_username", c.Cassandra.CQLUsername, "new-user")
	eq(t, "cql_password", c.Cassandra.CQLPassword, "new-pass")
	equalLines(t, "warnings", warningLines(warns), []string{
		"[cassandra] cql_username: environment variable CQL_USERNAME is deprecated; use MEDUSA_CQL_USERNAME (both are set; MEDUSA_CQL_USERNAME wins)",
		"[cassandra] cql_password: environment variable CQL_PASSWORD is deprecated; use MEDUSA_CQL_PASSWORD (both are set; MEDUSA_CQL_PASSWORD wins)",
	})
	if strings.Contains(c.Redacted(), "new-pass") {
		t.Error("the redacted configuration shows the CQL password")
	}
}
