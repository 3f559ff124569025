package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/medusa-go/medusa/internal/cryptmigrate"
)

// newEncryptBackupsCmd is `medusa encrypt-backups`.
func newEncryptBackupsCmd(r *root) *cobra.Command {
	var dryRun bool
	var tempDir string
	cmd := &cobra.Command{
		Use:   "encrypt-backups",
		Short: "Encrypt the plain backups of the prefix with [storage] encryption_key_file",
		Long: `Turn the plain (unencrypted) backups of the storage prefix into client-side
encrypted ones, with the key ring of [storage] encryption_key_file (or
encryption_kms_key_id): the explicit migration of a prefix to encryption
(docs/encryption.md). Every node's backups are encrypted, whatever --fqdn says:
the prefix is encrypted or plain as a whole. It needs no Cassandra; run it from
one machine that has the key ring, while no backup runs.

Each data object is encrypted to a new key (a table directory tagged "enc"),
a pool object shared by several differential backups once; the small meta
files that are encrypted (schema.cql, ...) are encrypted in place. Then each
node backup's manifest is rewritten in one write to name the new keys, and
only then are the plain objects no manifest names deleted. The prefix's
marker records the migration while it runs: until it finishes, backup,
restore, download, purge, purge-decommissioned and commitlog sync refuse the
prefix (run nothing else that writes meanwhile). Killed or failed at any
point, nothing is lost: run it again and it goes on where it stopped.
Objects are copied through one temporary file each (--temp-dir),
[storage] concurrent_transfers at a time.

Refused, changing nothing: an unfinished or damaged backup (delete it first,
with a medusa.ini without encryption_key_file), archived commit logs, and
[storage] encrypt_metadata or object_lock_days. Python Medusa cannot restore the backups after
this (it still lists them). --dry-run prints what would be done.

` + exitHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			r.skipMetrics()
			a, err := r.open(ctx, nil)
			if err != nil {
				return err
			}
			plain, sealed, err := a.MigrationStorage(ctx)
			if err != nil {
				return err
			}
			defer sealed.Close()
			st := a.Config.Storage
			m := &cryptmigrate.Migrator{
				Plain: plain, Sealed: sealed, Prefix: st.Prefix, TempDir: tempDir,
				Concurrency: st.ConcurrentTransfers, DryRun: dryRun, Logger: r.logger,
			}
			sum, err := m.Run(ctx)
			if err != nil {
				return fmt.Errorf("encrypt-backups: %w", err)
			}
			return sum.WriteText(cmd.OutOrStdout(), dryRun)
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print what would be encrypted and deleted, change nothing")
	cmd.Flags().StringVar(&tempDir, "temp-dir", "", "directory for the temporary copy of each object being encrypted (default: the system's)")
	return cmd
}
