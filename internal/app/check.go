package app

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/medusa-go/medusa/internal/cassandra"
	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/check"
	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/crypt"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/remote"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/azure"
	"github.com/medusa-go/medusa/internal/storage/gcs"
	"github.com/medusa-go/medusa/internal/storage/s3"
)

// CheckOptions select what `medusa check` looks at.
type CheckOptions struct {
	// TempDir is the directory a restore would download to ("" : the
	// system's temp dir).
	TempDir string
	// NoCassandra leaves out the Cassandra checks (storage-only hosts).
	NoCassandra bool
	// SSH includes the [ssh] checks (the file has an [ssh] section).
	SSH bool
	// ProbeID names the probe's folder (empty: from the clock).
	ProbeID string
}

// Checks builds the checks of `medusa check` for the configuration: the
// storage checks of its backend (S3: credentials, bucket settings and the
// policy probe; GCS, Azure, local: key file and probe), then the Cassandra
// and [ssh] checks. The returned function releases the clients; call it
// after the checks ran.
func (a *App) Checks(ctx context.Context, o CheckOptions) ([]check.Check, func()) {
	st := a.Config.Storage
	var checks []check.Check
	var closers []func()
	b, err := openBackend(ctx, st, a.Logger)
	var largest func(ctx context.Context) (string, int64, error)
	if err != nil {
		checks = append(checks, check.Check{Name: "storage/open", Run: func(context.Context) check.Result {
			return check.Result{Status: check.FAIL, Detail: err.Error(), Fix: "fix [storage] as the message says"}
		}})
		if st.KeyFile != "" {
			checks = append(checks, check.Check{Name: "credentials/key-file", Run: func(context.Context) check.Result {
				return check.KeyFileMode(st.KeyFile, "credentials file")
			}})
		}
	} else {
		closers = append(closers, func() { _ = b.Close() })
		checks = append(checks, a.storageChecks(b, o)...)
		largest = func(ctx context.Context) (string, int64, error) {
			return largestBackup(ctx, a.metadataReader(ctx, b), st.Prefix, st.FQDN)
		}
	}
	enc := &check.Encryption{KeyRingFile: st.EncryptionKeyFile, KMSKeyID: st.EncryptionKMSKeyID,
		EncryptMetadata: st.EncryptMetadata, Prefix: layout.New(st.Prefix).KeyPrefix()}
	if err == nil {
		enc.Backend = b
		if st.EncryptionKMSKeyID != "" {
			if api, kerr := a.kmsClient(ctx, b); kerr != nil {
				enc.KMSErr = kerr
			} else {
				enc.KMS = api
			}
		}
	}
	checks = append(checks, enc.Checks()...)
	if !o.NoCassandra {
		checks = append(checks, a.cassandraChecks(o, largest).Checks()...)
		var cb storage.Backend
		if err == nil {
			cb = b
		}
		checks = append(checks, a.commitlogChecks(cb)...)
	}
	if o.SSH {
		checks = append(checks, a.sshChecks().Checks()...)
	}
	return checks, func() {
		for _, c := range closers {
			c()
		}
	}
}

func (a *App) storageChecks(b storage.Backend, o CheckOptions) []check.Check {
	st := a.Config.Storage
	if sb, ok := b.(*s3.Backend); ok {
		in := sb.Inspect()
		c := &check.S3{
			API: in.Client, Bucket: in.Bucket, Region: in.Region, Prefix: st.Prefix, FQDN: st.FQDN,
			AWS: in.AWS, Store: in.Endpoint, KMSID: in.KMSID, SSEC: in.SSEC, ApplySSE: in.ApplySSE,
			Credentials: in.Retrieve, Describe: s3.DescribeCredentials,
			KeyFile: st.KeyFile, ProbeID: o.ProbeID,
			LockDays: st.ObjectLockDays, LockMode: st.ObjectLockMode,
			MaxBackupAge: st.MaxBackupAge, MaxBackupCount: st.MaxBackupCount,
		}
		if in.AWS {
			c.Store = "AWS S3 (" + in.Region + ")"
			var hc aws.HTTPClient = http.DefaultClient
			if in.HTTPClient != nil {
				hc = in.HTTPClient
			}
			c.Identity = sts.New(sts.Options{Region: in.Region, Credentials: in.Credentials, HTTPClient: hc})
			c.Account = &check.S3Control{Region: in.Region, Credentials: in.Credentials, HTTP: hc}
		}
		return c.Checks()
	}
	g := &check.Storage{Backend: b, Prefix: st.Prefix, FQDN: st.FQDN, ProbeID: o.ProbeID, KeyFile: st.KeyFile,
		MaxBackupAge: st.MaxBackupAge, MaxBackupCount: st.MaxBackupCount}
	switch st.Backend() {
	case config.BackendGCS:
		g.Store, g.KeyFileWhat = fmt.Sprintf("GCS bucket %q", st.BucketName), "service-account JSON file"
		g.Access = "the service account roles/storage.objectAdmin on the bucket (storage.objects.create, get, list and delete)"
		if gb, ok := b.(*gcs.Backend); ok {
			g.RetentionWhat, g.RetentionAccess = "retention policy", "storage.buckets.get (roles/storage.legacyBucketReader) on the bucket"
			g.Retention = func(ctx context.Context) (check.ContainerLock, error) { return gcsRetention(ctx, gb) }
		}
	case config.BackendAzure:
		g.Store, g.KeyFileWhat = fmt.Sprintf("Azure container %q", st.BucketName), "Azure credentials JSON file"
		g.Access = "the identity the Storage Blob Data Contributor role on the container (or use the account key)"
		if ab, ok := b.(*azure.Backend); ok {
			g.RetentionWhat, g.RetentionAccess = "immutability policy", "the Storage Blob Data Reader role on the container"
			g.Retention = func(ctx context.Context) (check.ContainerLock, error) { return azureImmutability(ctx, ab) }
		}
	default:
		g.Store, g.KeyFile = fmt.Sprintf("local bucket %s", filepath.Join(st.BasePath, st.BucketName)), ""
		g.Access = "the user running medusa write access to base_path"
	}
	return g.Checks()
}

// metadataReader returns b, or, with [storage] encrypt_metadata, b
// decrypting what it reads (with the key ring and KMS of [storage]; no
// marker is written), so the catalog can read encrypted manifests. A key
// ring or KMS client that cannot be had leaves b: the encryption checks
// report why.
func (a *App) metadataReader(ctx context.Context, b storage.Backend) storage.Backend {
	st := a.Config.Storage
	if !st.EncryptMetadata {
		return b
	}
	var ring *crypt.Ring
	if st.EncryptionKeyFile != "" {
		r, err := crypt.LoadRing(st.EncryptionKeyFile, a.Logger)
		if err != nil {
			return b
		}
		ring = r
	}
	prefix := layout.New(st.Prefix).KeyPrefix()
	if st.EncryptionKMSKeyID == "" {
		return crypt.New(b, ring, prefix).EncryptMetadata(true)
	}
	api, err := a.kmsClient(ctx, b)
	if err != nil {
		return b
	}
	return crypt.NewKMS(b, crypt.NewKMSKeys(api, st.EncryptionKMSKeyID, b, prefix), ring, prefix).EncryptMetadata(true)
}

func gcsRetention(ctx context.Context, b *gcs.Backend) (check.ContainerLock, error) {
	r, err := b.RetentionPolicy(ctx)
	return check.ContainerLock{Period: r.Period, Locked: r.Locked}, err
}

func azureImmutability(ctx context.Context, b *azure.Backend) (check.ContainerLock, error) {
	im, err := b.Immutability(ctx)
	if err == nil && !im.Known {
		return check.ContainerLock{NotChecked: "the service reports no immutability properties of the container (an emulator that does not implement them)"}, nil
	}
	return check.ContainerLock{Policy: im.Policy, LegalHold: im.LegalHold, VersionLevel: im.VersionLevel}, err
}

// largestBackup returns the largest finished backup of fqdn, by the size
// of the files its manifest names (what a restore downloads).
func largestBackup(ctx context.Context, b storage.Backend, prefix, fqdn string) (string, int64, error) {
	c := &catalog.Catalog{Backend: b, Prefix: prefix}
	all, err := c.ClusterBackups(ctx)
	if err != nil {
		return "", 0, err
	}
	var mine []struct{ cb, n int }
	for i, cb := range all {
		for j, n := range cb.Nodes {
			if n.FQDN == fqdn && n.IsFinished() {
				mine = append(mine, struct{ cb, n int }{i, j})
			}
		}
	}
	var name string
	var size int64
	for _, m := range mine {
		sub := all[m.cb]
		sub.Nodes = slices.Clone(sub.Nodes[m.n : m.n+1])
		if err := c.LoadDetails(ctx, []layout.ClusterBackup{sub}); err != nil {
			return "", 0, err
		}
		if n := sub.Nodes[0]; n.IsFinished() && n.Size >= size {
			name, size = n.Name, n.Size
		}
	}
	return name, size, nil
}

func (a *App) cassandraChecks(o CheckOptions, largest func(context.Context) (string, int64, error)) *check.Cassandra {
	cfg := a.Config
	c := &check.Cassandra{ConfigFile: cfg.Cassandra.ConfigFile, CQLUser: cfg.Cassandra.CQLUsername,
		TempDir: o.TempDir, LargestBackup: largest}
	c.CQL = func(ctx context.Context, nc *cassandra.NodeConfig) (string, string, error) {
		opts := CQLOptions(cfg, nc, a.Logger)
		opts.Backoff = cassandraBackoffOnce
		s, err := cassandra.Connect(ctx, opts)
		if err != nil {
			return "", "", err
		}
		defer s.Close()
		v, err := s.ServerVersion(ctx)
		if err != nil {
			return s.Addr(), "", err
		}
		return s.Addr(), v.ReleaseVersion, nil
	}
	if cfg.Kubernetes.Enabled && (cfg.Kubernetes.UseMgmtAPI || cfg.Kubernetes.CassandraURL != "") {
		return c // snapshots go through the management API or Jolokia, not nodetool
	}
	nt := cassandra.Nodetool{Options: NodetoolOptions(cfg.Cassandra)}
	c.NodetoolWhat = "nodetool (" + nt.Options.Redacted("version") + ")"
	c.Nodetool = func(ctx context.Context) (string, error) {
		out, err := nt.Run(ctx, "version")
		return strings.TrimSpace(out), err
	}
	return c
}

func (a *App) sshChecks() *check.SSH {
	cfg := a.Config.SSH
	khf := cfg.KnownHostsFile
	if khf == "" {
		khf = "~/.ssh/known_hosts"
	}
	if p, err := storage.ExpandHome(khf); err == nil {
		khf = p
	}
	return &check.SSH{
		Username: cfg.Username, KeyFile: cfg.KeyFile, KnownHostsFile: khf,
		Strict: cfg.HostKeyPolicy != config.HostKeyAcceptNew,
		Load: func() error {
			s, err := remote.NewSSH(cfg, remote.SSHOptions{Logger: a.Logger, Getenv: os.Getenv})
			if err != nil {
				return err
			}
			return s.Close()
		},
	}
}
