package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/crypt"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/azure"
	"github.com/medusa-go/medusa/internal/storage/gcs"
	"github.com/medusa-go/medusa/internal/storage/limit"
	"github.com/medusa-go/medusa/internal/storage/local"
	"github.com/medusa-go/medusa/internal/storage/retry"
	"github.com/medusa-go/medusa/internal/storage/s3"
)

// Storage opens the storage stack [storage] describes: the backend,
// wrapped (innermost first) in retries with backoff, then one process-wide
// bandwidth limit (transfer_max_bandwidth), a limit of
// concurrent_transfers transfers in flight, client-side encryption when
// encryption_key_file or encryption_kms_key_id is set (docs/encryption.md) and, outermost,
// WrapStorage. Mixing encrypted and plain backups under one prefix is
// refused here, before any command reads or writes a backup.
// The caller closes it.
func (a *App) Storage(ctx context.Context) (storage.Backend, error) {
	out, keys, err := a.plainStorage(ctx)
	if err != nil {
		return nil, err
	}
	enc, err := a.encryption(ctx, out, keys)
	if err != nil {
		out.Close()
		return nil, err
	}
	if a.WrapStorage != nil {
		enc = a.WrapStorage(enc)
	}
	return enc, nil
}

// plainStorage is the stack of Storage below client-side encryption, and
// keys, the same stack beneath the transfer slots: KMS key objects are
// read there, since the readers waiting for a key hold every slot.
func (a *App) plainStorage(ctx context.Context) (out, keys storage.Backend, err error) {
	st := a.Config.Storage
	b, err := openBackend(ctx, st, a.Logger)
	if err != nil {
		return nil, nil, fmt.Errorf("open storage: %w", err)
	}
	out = retry.New(b, retry.Policy{Logger: a.Logger})
	out = limit.Bandwidth(out, limit.NewLimiter(st.TransferMaxBandwidth))
	return limit.Concurrency(out, st.ConcurrentTransfers), out, nil
}

// MigrationStorage opens the two stacks of medusa encrypt-backups: plain,
// the stack without encryption (it reads the plain backups and writes the
// marker), and sealed, the same stack wrapped in the client-side
// encryption of [storage] (it writes the encrypted objects). Neither
// checks the prefix's marker: the migration does. encrypt_metadata is
// refused (the migration keeps manifests and token maps plain). The caller
// closes sealed (which closes plain).
func (a *App) MigrationStorage(ctx context.Context) (plain, sealed storage.Backend, err error) {
	st := a.Config.Storage
	if !st.ClientSideEncryption() {
		return nil, nil, storage.Misconfigured(fmt.Errorf("encrypt-backups needs [storage] encryption_key_file (or encryption_kms_key_id): the key ring the backups are to be encrypted with"))
	}
	if st.EncryptMetadata {
		return nil, nil, storage.Misconfigured(fmt.Errorf("encrypt-backups keeps manifests and token maps plain: remove [storage] encrypt_metadata (it applies only to a new prefix)"))
	}
	if st.ObjectLockDays > 0 {
		return nil, nil, storage.Misconfigured(fmt.Errorf("encrypt-backups is refused with [storage] object_lock_days: the bucket keeps the locked plain objects (as versions) until their retention ends, so the backups would not be encrypted at rest; back up into a new prefix with encryption instead (docs/encryption.md)"))
	}
	ring, err := a.keyRing()
	if err != nil {
		return nil, nil, err
	}
	plain, keys, err := a.plainStorage(ctx)
	if err != nil {
		return nil, nil, err
	}
	if a.WrapStorage != nil {
		plain = a.WrapStorage(plain)
	}
	sealed, err = a.sealing(ctx, plain, keys, ring)
	if err != nil {
		plain.Close()
		return nil, nil, err
	}
	return plain, sealed, nil
}

func openBackend(ctx context.Context, st config.Storage, logger *slog.Logger) (storage.Backend, error) {
	timeout := time.Duration(st.ReadTimeout) * time.Second
	switch kind := st.Backend(); kind {
	case config.BackendS3, config.BackendS3Compatible, config.BackendS3RGW:
		region, err := st.S3Region()
		if err != nil {
			return nil, err
		}
		b, err := s3.New(ctx, s3.Options{
			Provider:             st.StorageProvider,
			Bucket:               st.BucketName,
			Region:               region,
			KeyFile:              st.KeyFile,
			APIProfile:           st.APIProfile,
			Host:                 st.Host,
			Port:                 st.Port,
			Secure:               st.Secure,
			SSLVerify:            st.SSLVerify,
			AddressingStyle:      st.S3AddressingStyle,
			ReadTimeout:          timeout,
			StorageClass:         st.StorageClass,
			KMSID:                st.KMSID,
			SSECKey:              st.SSECKey,
			ObjectLock:           objectLock(st),
			MultipartThreshold:   st.MultiPartUploadThreshold,
			MultipartChunkSize:   st.MultipartChunksize,
			MultipartConcurrency: st.MultipartMaxConcurrency,
			MaxConnections:       st.ConcurrentTransfers*st.MultipartMaxConcurrency + 10,
			Logger:               logger,
		})
		if err != nil {
			return nil, err
		}
		// A bucket that encrypts with SSE-KMS by default has no content
		// MD5s as ETags even without kms_id; a refused probe only leaves
		// the hashes trusted, as before.
		// The probe gets a few seconds at most: with the store unreachable
		// the command's own first request must be the one that fails, and
		// within the command's bounds (an upload's answer still shows a KMS
		// default, see sawEncryption).
		probe := defaultEncryptionProbeTimeout
		if timeout > 0 && timeout < probe {
			probe = timeout
		}
		pctx, cancel := context.WithTimeout(ctx, probe)
		if perr := b.ProbeDefaultEncryption(pctx); perr != nil {
			logger.Debug("cannot read the bucket's default encryption", "error", perr)
		}
		cancel()
		return b, nil
	case config.BackendGCS:
		return gcs.New(ctx, gcs.Options{
			Bucket:      st.BucketName,
			KeyFile:     st.KeyFile,
			ReadTimeout: timeout,
			ChunkSize:   st.MultipartChunksize,
			Logger:      logger,
		})
	case config.BackendAzure:
		suffix, port, endpoint, err := st.AzureService()
		if err != nil {
			return nil, err
		}
		return azure.New(azure.Options{
			KeyFile:     st.KeyFile,
			HostSuffix:  suffix,
			Port:        port,
			Endpoint:    endpoint,
			Container:   st.BucketName,
			BlockSize:   st.MultipartChunksize,
			Concurrency: st.MultipartMaxConcurrency,
			Tier:        st.StorageClass,
			ReadTimeout: timeout,
			Logger:      logger,
		})
	case config.BackendLocal:
		return local.New(local.Options{BasePath: st.BasePath, Bucket: st.BucketName, Create: true})
	default:
		return nil, fmt.Errorf("[storage] storage_provider %q is not supported", st.StorageProvider)
	}
}

// defaultEncryptionProbeTimeout bounds the one request that reads an S3
// bucket's default encryption when storage is opened.
const defaultEncryptionProbeTimeout = 5 * time.Second

// objectLock is the retention of [storage] object_lock_days and
// object_lock_mode, or nil. The latest-backup markers are exempt: every
// backup overwrites them, which a lock would refuse on a store without
// versioning.
func objectLock(st config.Storage) *s3.ObjectLock {
	if st.ObjectLockDays <= 0 {
		return nil
	}
	markers := layout.New(st.Prefix).IndexPrefix() + "latest_backup/"
	return &s3.ObjectLock{
		Mode:   st.ObjectLockMode,
		Period: time.Duration(st.ObjectLockDays) * 24 * time.Hour,
		Exempt: func(key string) bool { return strings.HasPrefix(key, markers) },
	}
}

// encryption wraps b in client-side encryption when [storage]
// encryption_key_file or encryption_kms_key_id is set, after checking
// that the prefix's backups are stored the same way (crypt.CheckMode).
// Without encryption it does nothing here (opening storage sends no
// request): the commands that read or write backups call
// refusePlainOnEncrypted.
func (a *App) encryption(ctx context.Context, b, keys storage.Backend) (storage.Backend, error) {
	st := a.Config.Storage
	if !st.ClientSideEncryption() {
		return b, nil
	}
	ring, err := a.keyRing()
	if err != nil {
		return nil, err
	}
	prefix := layout.New(st.Prefix).KeyPrefix()
	if err := crypt.CheckModeMetadata(ctx, b, prefix, true, st.EncryptMetadata); err != nil {
		return nil, err
	}
	return a.sealing(ctx, b, keys, ring)
}

// keyRing loads [storage] encryption_key_file (nil when unset).
func (a *App) keyRing() (*crypt.Ring, error) {
	if a.Config.Storage.EncryptionKeyFile == "" {
		return nil, nil
	}
	ring, err := crypt.LoadRing(a.Config.Storage.EncryptionKeyFile, a.Logger)
	if err != nil {
		return nil, storage.Misconfigured(err)
	}
	return ring, nil
}

// sealing wraps b in the client-side encryption of [storage] with ring
// (nil without encryption_key_file), checking nothing in the store.
func (a *App) sealing(ctx context.Context, b, keys storage.Backend, ring *crypt.Ring) (storage.Backend, error) {
	st := a.Config.Storage
	prefix := layout.New(st.Prefix).KeyPrefix()
	if st.EncryptionKMSKeyID == "" {
		return crypt.New(b, ring, prefix).EncryptMetadata(st.EncryptMetadata), nil
	}
	api, err := a.kmsClient(ctx, b)
	if err != nil {
		return nil, storage.Misconfigured(err)
	}
	return crypt.NewKMS(b, crypt.NewKMSKeys(api, st.EncryptionKMSKeyID, keys, prefix), ring, prefix).EncryptMetadata(st.EncryptMetadata), nil
}

// kmsClient is the AWS KMS client of [storage] encryption_kms_key_id: the
// region and credentials of the S3 store when storage is S3 ([storage]
// region, when set, names the KMS key's region), else [storage] region
// and the AWS default credential chain; encryption_kms_endpoint, when
// set, replaces AWS's endpoint.
func (a *App) kmsClient(ctx context.Context, b storage.Backend) (*kms.Client, error) {
	st := a.Config.Storage
	opts := kms.Options{}
	if st.EncryptionKMSEndpoint != "" {
		opts.BaseEndpoint = aws.String(st.EncryptionKMSEndpoint)
	}
	if st.Region != "" && st.Region != "default" {
		opts.Region = st.Region
	}
	if sb, ok := storage.As[*s3.Backend](b); ok {
		in := sb.Inspect()
		opts.Credentials = in.Credentials
		if in.HTTPClient != nil {
			opts.HTTPClient = in.HTTPClient
		}
		if opts.Region == "" {
			opts.Region = in.Region
		}
	} else {
		if opts.Region == "" {
			return nil, fmt.Errorf("[storage] encryption_kms_key_id: set [storage] region to the KMS key's region (e.g. eu-west-1)")
		}
		cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(opts.Region))
		if err != nil {
			return nil, fmt.Errorf("[storage] encryption_kms_key_id: AWS credentials for KMS: %w", err)
		}
		opts.Credentials = cfg.Credentials
	}
	return kms.New(opts), nil
}

// refusePlainOnEncrypted refuses, without encryption_key_file, a prefix
// whose backups are encrypted (backup, restore, download). Credentials
// that may not read the marker proceed: reads of encrypted objects then
// fail on their own (sizes differ from the manifest's).
func (a *App) refusePlainOnEncrypted(ctx context.Context, b storage.Backend) error {
	if a.Config.Storage.ClientSideEncryption() {
		return nil
	}
	err := crypt.CheckMode(ctx, b, layout.New(a.Config.Storage.Prefix).KeyPrefix(), false)
	if err != nil && !errors.Is(err, storage.ErrAccessDenied) {
		return err
	}
	return nil
}

// RefuseMigrating refuses, without encryption_key_file, a prefix that an
// unfinished medusa encrypt-backups run has marked (purge and
// purge-decommissioned, which may run from a schedule: deleting while the
// migration copies could remove what it is about to name). delete-backup
// is left to the user, since the migration itself asks for it to remove an
// unfinished backup. With a key ring, opening the storage already refused
// the prefix. A marker that cannot be read leaves the command to its own
// errors.
func (a *App) RefuseMigrating(ctx context.Context, b storage.Backend) error {
	if a.Config.Storage.ClientSideEncryption() {
		return nil
	}
	prefix := layout.New(a.Config.Storage.Prefix).KeyPrefix()
	m, err := crypt.ReadMarker(ctx, b, prefix)
	if err == nil && m.Migrating {
		return crypt.MigratingError(prefix)
	}
	return nil
}
