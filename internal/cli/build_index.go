package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/config"
)

// newBuildIndexCmd is `medusa build-index`.
func newBuildIndexCmd(r *root) *cobra.Command {
	var noop bool
	cmd := &cobra.Command{
		Use:   "build-index",
		Short: "Rebuild the backup index from the backups in storage",
		Long: `Rebuild the backup index (index/backup_index/ and index/latest_backup/) from
the meta files of the node backups found in storage. Every node under the
storage prefix is scanned (Medusa scans the nodes of the live token map; this
command does not contact Cassandra, so backups of decommissioned nodes are
indexed too). Only finished node backups are indexed; entries already in the
index are kept. Each index object is printed as "wrote <key>", or with --noop
as "would write <key>" and nothing is written. Works with [storage] prefix
(Medusa's build-index does not).

Listing the whole prefix reads every object key once: on large buckets this
takes a while.

` + exitHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return r.withCatalog(cmd.Context(), func(cfg *config.Config, cat *catalog.Catalog) error {
				if noop {
					r.logger.Info("--noop was set, will only print the indices")
				}
				res, err := catalog.BuildIndex(cmd.Context(), cat.Backend, cfg.Storage.Prefix,
					catalog.BuildIndexOptions{Noop: noop, Logger: r.logger})
				if err != nil {
					return fmt.Errorf("build index: %w", err)
				}
				if err := res.WriteText(cmd.OutOrStdout()); err != nil {
					return err
				}
				r.logger.Info(fmt.Sprintf("Found %d finished node backups of %d nodes; %d index objects %s",
					res.NodeBackups, len(res.Latest), len(res.Written), map[bool]string{true: "to write", false: "written"}[noop]))
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&noop, "noop", false, "compute and print the index only, do not upload it")
	return cmd
}
