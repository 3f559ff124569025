package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/layout"
)

// newVerifyCmd is `medusa verify`.
func newVerifyCmd(r *root) *cobra.Command {
	var name string
	var md5 bool
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Verify that a cluster backup is complete and matches its manifests",
		Long: `Verify a cluster backup: every node of its tokenmap must have a finished
backup, and every object each node's manifest names must exist in storage with
the recorded size (and, with --enable-md5-checks or [checks] enable_md5_checks,
the recorded hash). *-Statistics.db files are ignored and *-Summary.db
mismatches only warned about, as Cassandra rewrites them. Full backups also
report objects that no manifest names. Prints:

  Validating <name> ...
  - Completion: OK!            or  - Completion: Not complete!  (+ nodes)
  - Manifest validated: OK!!   or  - Manifest validation: Failed!  (+ files)

Exit codes: 0 the backup verified; 1 unknown backup, incomplete backup or
failed validation (or a storage error); 2 usage or configuration error;
130 interrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlag(cmd, "backup-name"); err != nil {
				return err
			}
			return r.withCatalog(cmd.Context(), func(cfg *config.Config, cat *catalog.Catalog) error {
				res, err := cat.Verify(cmd.Context(), name, md5 || cfg.Checks.EnableMD5Checks)
				if errors.Is(err, layout.ErrBackupNotFound) {
					return r.unknownBackup(name, err)
				}
				if err != nil {
					return err
				}
				if err := res.WriteText(cmd.OutOrStdout()); err != nil {
					return err
				}
				switch {
				case !res.Complete:
					return fmt.Errorf("backup %s is incomplete", name)
				case !res.OK():
					return fmt.Errorf("manifest validation of backup %s failed: %d problems", name, len(res.Errors))
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "backup-name", "", "backup name (required)")
	f.BoolVar(&md5, "enable-md5-checks", false,
		"also compare hashes (MD5/ETag), not only sizes (default: [checks] enable_md5_checks)")
	return cmd
}
