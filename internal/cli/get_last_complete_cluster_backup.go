package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/layout"
)

// newGetLastCompleteClusterBackupCmd is `medusa get-last-complete-cluster-backup`.
func newGetLastCompleteClusterBackupCmd(r *root) *cobra.Command {
	return &cobra.Command{
		Use:   "get-last-complete-cluster-backup",
		Short: "Print the name of the latest complete cluster backup",
		Long: `Print the name of the complete cluster backup (every node finished) that
finished last, or "Could not find any full backup for the cluster" (exit code
0, as Medusa) when there is none.

` + exitHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return r.withCatalog(cmd.Context(), func(cfg *config.Config, cat *catalog.Catalog) error {
				backups, err := cat.ClusterBackups(cmd.Context())
				if err != nil {
					return err
				}
				cb, ok := layout.LatestCompleteClusterBackup(backups)
				msg := "Could not find any full backup for the cluster"
				if ok {
					msg = cb.Name
				}
				_, err = fmt.Fprintln(cmd.OutOrStdout(), msg)
				return err
			})
		},
	}
}
