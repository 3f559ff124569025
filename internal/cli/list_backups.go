package cli

import (
	"github.com/spf13/cobra"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/layout"
)

// newListBackupsCmd is `medusa list-backups`.
func newListBackupsCmd(r *root) *cobra.Command {
	var showAll, noShowAll bool
	var output string
	cmd := &cobra.Command{
		Use:   "list-backups",
		Short: "List the cluster backups of the backup index",
		Long: `List the cluster backups recorded in the backup index, oldest first:

  <name> (started: <time>, finished: <time>)
  <name> (started: <time>, finished: Incomplete [<n> of <m> nodes finished])

Times are local ($TZ). Unless --show-all is given, only backups that include
this node ([storage] fqdn) are listed. --output json prints a JSON list of
cluster backups (sizes, object counts and per-node details included).
Backups missing from the index are not listed: run "medusa build-index".

With [cassandra] commitlog_archiving, one more line per node that has archived commit
logs (this node; every node of the listed backups with --show-all) gives its
point-in-time restore window:

  Point-in-time restore window of <fqdn>: <earliest> to <latest>[, gap between <t1> and <t2>]

and the JSON node entries gain "pitr_window" (see docs/pitr.md).

` + exitHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			return r.withCatalog(cmd.Context(), func(cfg *config.Config, cat *catalog.Catalog) error {
				backups, err := cat.ClusterBackups(cmd.Context())
				if err != nil {
					return err
				}
				all := showAll && !noShowAll
				selected := layout.ListBackups(backups, cfg.Storage.FQDN, all)
				nodes := []string{cfg.Storage.FQDN}
				if all {
					nodes = backupFQDNs(selected)
				}
				windows, err := r.pitrWindows(cmd.Context(), cfg, cat, backups, selected, nodes)
				if err != nil {
					return err
				}
				if output == "json" {
					if err := cat.LoadDetails(cmd.Context(), selected); err != nil {
						return err
					}
					return layout.WriteListBackupsJSON(cmd.OutOrStdout(), selected)
				}
				if err := layout.WriteListBackups(cmd.OutOrStdout(), selected, r.location()); err != nil {
					return err
				}
				return layout.WritePITRWindows(cmd.OutOrStdout(), windows, r.location(), "")
			})
		},
	}
	f := cmd.Flags()
	f.BoolVar(&showAll, "show-all", false, "list the backups of every node, not only those including this node")
	f.BoolVar(&noShowAll, "no-show-all", false, "list only backups including this node (the default)")
	f.StringVar(&output, "output", "text", "output format: text or json")
	return cmd
}
