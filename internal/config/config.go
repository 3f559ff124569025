package config

import (
	"fmt"
	"strings"
)

// Config is the effective medusa.ini: defaults < file < CLI flags <
// Kubernetes forcing < environment < k8s secret files < fqdn resolution.
type Config struct {
	// File is the path (or name) the configuration was read from.
	File       string
	Storage    Storage
	Cassandra  Cassandra
	SSH        SSH
	Checks     Checks
	Monitoring Monitoring
	Logging    Logging
	GRPC       GRPC
	Kubernetes Kubernetes
	Commitlog  Commitlog
}

// Storage is the [storage] section. Empty strings mean "not set".
type Storage struct {
	StorageProvider   string // lower-cased; see Backend
	BucketName        string
	KeyFile           string
	Prefix            string
	FQDN              string // never empty after a successful load
	HostFileSeparator string
	BasePath          string
	StorageClass      string // upper-cased
	MaxBackupAge      int    // days; 0 = no age purge
	MaxBackupCount    int    // 0 = no count purge
	APIProfile        string
	// TransferMaxBandwidth is in bytes per second; 0 = unlimited (empty value).
	TransferMaxBandwidth     int64
	ConcurrentTransfers      int
	MultiPartUploadThreshold int64 // bytes
	MultipartChunksize       int64 // bytes
	MultipartMaxConcurrency  int
	Secure                   bool
	SSLVerify                bool
	S3AddressingStyle        string // auto, path or virtual
	Region                   string // "default" unless set
	Host                     string
	Port                     int // 0 = not set
	KMSID                    string
	SSECKey                  string // secret: base64 of a 256-bit key
	// EncryptionKeyFile is the key ring of client-side encryption
	// (docs/encryption.md); empty: backups are stored plain.
	EncryptionKeyFile       string
	ReadTimeout             int // seconds; 0 = not set
	BackupGracePeriodInDays int
	UseSudoForRestore       bool
	AWSCLIPath              string // legacy, unused
	K8sMode                 bool   // copy of Kubernetes.Enabled

	// AbortIncompleteUploadsAfterHours (ours): a backup aborts the
	// node's incomplete multipart uploads started longer ago; 0 never
	// aborts by age (default 24).
	AbortIncompleteUploadsAfterHours int

	// ObjectLockDays (ours): S3 only; every object of a backup is written
	// with an Object Lock retention date this many days after its upload,
	// and purge keeps backups until it passes; 0 is off (default).
	ObjectLockDays int
	// ObjectLockMode (ours): governance (default) or compliance.
	ObjectLockMode string
}

// Cassandra is the [cassandra] section.
type Cassandra struct {
	ConfigFile               string
	StartCmd                 string
	StopCmd                  string
	CheckRunning             string // legacy, unused
	IsCCM                    bool
	CQLUsername              string
	CQLPassword              string // secret
	CQLK8sSecretsPath        string
	NodetoolUsername         string
	NodetoolPassword         string // secret
	NodetoolPasswordFilePath string
	NodetoolHost             string
	NodetoolPort             int // 0 = not set
	NodetoolK8sSecretsPath   string
	NodetoolExecutable       string
	NodetoolFlags            string // space-separated; see NodetoolFlagList
	NodetoolSSL              bool
	Certfile                 string
	Usercert                 string
	Userkey                  string
	SstableloaderBin         string
	SstableloaderTS          string
	SstableloaderTSPW        string // secret
	SstableloaderKS          string
	SstableloaderKSPW        string // secret
	ResolveIPAddresses       bool
	UseSudo                  bool
	// CQLRetrySeconds is how long a command waits, in total, for the
	// node's CQL port before it fails (ours; default 390, Medusa's
	// schedule). A refused port with no Cassandra process of the node
	// fails within 30 s whatever this says.
	CQLRetrySeconds int
}

// NodetoolFlagList returns NodetoolFlags split on white space, as Medusa
// inserts them right after the nodetool executable.
func (c Cassandra) NodetoolFlagList() []string { return strings.Fields(c.NodetoolFlags) }

// SSH is the [ssh] section (cluster orchestration).
type SSH struct {
	Username         string
	KeyFile          string
	Port             int
	CertFile         string
	UsePTY           bool
	KeepaliveSeconds int
	LoginShell       bool
	// KnownHostsFile is the known_hosts file host keys are checked
	// against (ours; "~/" is the home directory of the user running medusa).
	KnownHostsFile string
	// HostKeyPolicy (ours): HostKeyStrict refuses a host not in
	// KnownHostsFile; HostKeyAcceptNew adds it there. A changed key is
	// always refused.
	HostKeyPolicy string
}

// [ssh] host_key_policy values.
const (
	HostKeyStrict    = "strict"
	HostKeyAcceptNew = "accept-new"
)

// Checks is the [checks] section.
type Checks struct {
	HealthCheck         string // cql, thrift or all
	Query               string
	ExpectedRows        int // 0 = don't check
	ExpectedResult      string
	EnableMD5Checks     bool
	MD5CheckConcurrency int
}

// Monitoring is the [monitoring] section.
type Monitoring struct {
	MonitoringProvider string // None, local, dog-statsd or prometheus (ours)
	SendBackupNameTag  bool
	// PrometheusTextfileDir (ours) is where, with monitoring_provider =
	// prometheus, each command writes its node_exporter textfile-collector
	// file; empty writes none.
	PrometheusTextfileDir string
	// PrometheusListen (ours) is the host:port the gRPC server serves
	// /metrics on; empty serves none.
	PrometheusListen string
	// BackupOverdueHours (ours): the node's last complete backup older than
	// this sets medusa_backup_overdue to 1.
	BackupOverdueHours int
}

// DefaultPrometheusTextfileDir is node_exporter's customary
// --collector.textfile.directory.
const DefaultPrometheusTextfileDir = "/var/lib/node_exporter/textfile_collector"

// Monitoring providers of [monitoring] monitoring_provider.
const (
	MonitoringNone       = "None"
	MonitoringLocal      = "local"
	MonitoringDogStatsd  = "dog-statsd"
	MonitoringPrometheus = "prometheus"
)

// Logging is the [logging] section (rotating file log).
type Logging struct {
	Enabled     bool
	File        string
	Level       string // DEBUG, INFO, WARNING, ERROR or CRITICAL
	Format      string
	MaxBytes    int
	BackupCount int
}

// GRPC is the [grpc] section.
type GRPC struct {
	Enabled                 bool
	Port                    int
	MaxSendMessageLength    int
	MaxReceiveMessageLength int
	CACert                  string
	TLSCert                 string
	TLSKey                  string
}

// Kubernetes is the [kubernetes] section.
type Kubernetes struct {
	Enabled      bool
	CassandraURL string // "" when not set (Medusa's 'None')
	UseMgmtAPI   bool
	CACert       string
	TLSCert      string
	TLSKey       string
}

// Overrides are the global CLI flags that replace medusa.ini values; nil
// means the flag was not given.
type Overrides struct {
	BucketName, KeyFile, Prefix, FQDN, BackupGracePeriodInDays, SSHUsername, SSHKeyFile *string
}

// Warning is something worth telling the user that does not stop medusa.
type Warning struct{ Section, Key, Message string }

// String renders "[section] key: message".
func (w Warning) String() string {
	var b strings.Builder
	if w.Section != "" {
		b.WriteString("[" + w.Section + "]")
		if w.Key != "" {
			b.WriteString(" " + w.Key)
		}
		b.WriteString(": ")
	} else if w.Key != "" {
		b.WriteString(w.Key + ": ")
	}
	b.WriteString(w.Message)
	return b.String()
}

// Problem is one reason the configuration is invalid. Value is empty for
// secret keys: their values are never echoed.
type Problem struct {
	Section, Key, Value, Message string
	// Line is the line of the file for syntax problems and a refused
	// section, else 0.
	Line int
	// Source names where a value came from when it was not the file's own
	// section: "--prefix", "$MEDUSA_RESOLVE_IP_ADDRESSES", "[DEFAULT]".
	Source string
}

// format renders `file[:line]: [section] key = "value" (from source): message`.
func (p Problem) format(file string) string {
	var b strings.Builder
	b.WriteString(file)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Section != "" {
		b.WriteString("[" + p.Section + "]")
		if p.Key != "" {
			b.WriteString(" " + p.Key)
			if p.Value != "" {
				fmt.Fprintf(&b, " = %q", p.Value)
			}
		}
		if p.Source != "" {
			b.WriteString(" (from " + p.Source + ")")
		}
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// ValidationError lists every problem found in a configuration. The CLI
// exits with status 2 on it.
type ValidationError struct {
	File     string
	Problems []Problem
}

// Error returns one line per problem.
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.format(e.File)
	}
	return strings.Join(lines, "\n")
}
