package app

import (
	"context"
	"log/slog"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/purge"
	"github.com/medusa-go/medusa/internal/remote"
	"github.com/medusa-go/medusa/internal/storage"
)

// App builds, from one loaded configuration, every service a command
// runs: the storage stack, the catalog, the purge executor, a node backup,
// a restore and a download. Each setting of medusa.ini is turned into the
// services' options here and nowhere else.
type App struct {
	Config *config.Config
	Logger *slog.Logger
	// WrapStorage, when set, wraps every storage stack the app opens
	// (outermost), e.g. to count the requests a command makes in tests.
	WrapStorage func(storage.Backend) storage.Backend
	// Remote, when set, is the Executor of the cluster commands instead of
	// the SSH executor of [ssh] (e.g. a fake in tests).
	Remote remote.Executor
	// Version is medusa's version, recorded with archived commit logs.
	Version string
}

// New returns the app of cfg; a nil logger discards.
func New(cfg *config.Config, logger *slog.Logger) *App {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &App{Config: cfg, Logger: logger}
}

// Catalog opens the storage stack and returns the catalog of the backups
// under [storage] prefix, with Medusa's index self-healing on. The caller
// closes its Backend.
func (a *App) Catalog(ctx context.Context) (*catalog.Catalog, error) {
	b, err := a.Storage(ctx)
	if err != nil {
		return nil, err
	}
	return &catalog.Catalog{Backend: b, Prefix: a.Config.Storage.Prefix, Heal: true, Logger: a.Logger}, nil
}

// Purger opens the storage stack and returns the executor of purge,
// delete-backup and purge-decommissioned ([storage] prefix and
// backup_grace_period_in_days). The caller closes its Backend.
func (a *App) Purger(ctx context.Context, dryRun bool) (*purge.Executor, error) {
	b, err := a.Storage(ctx)
	if err != nil {
		return nil, err
	}
	var locks storage.Retention
	if a.Config.Storage.ObjectLockDays > 0 {
		locks, _ = storage.As[storage.Retention](b)
	}
	return &purge.Executor{
		Backend:   b,
		Locks:     locks,
		Prefix:    a.Config.Storage.Prefix,
		GraceDays: a.Config.Storage.BackupGracePeriodInDays,
		DryRun:    dryRun,
		Logger:    a.Logger,
		// Archived commit logs are cleaned whether or not [cassandra]
		// commitlog_archiving is set here: they are in the bucket either way.
		RetentionGrace: a.Config.Commitlog.RetentionGrace,
	}, nil
}

// skipContentHash is set when the bucket's hashes are not content MD5s
// (server-side encryption with [storage] kms_id or sse_c_key; client-side
// encryption, whose objects the store hashes as ciphertext).
func skipContentHash(st config.Storage) bool {
	return st.KMSID != "" || st.SSECKey != "" || st.ClientSideEncryption()
}
