package cli

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/layout"
)

// newStatusCmd is `medusa status`.
func newStatusCmd(r *root) *cobra.Command {
	var name, output string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the status of one cluster backup",
		Long: `Show one cluster backup from the backup index:

  <name>   or   <name> [Incomplete!]   or   <name> [Damaged!]
  - Started: <time>, Finished: <time|never>
  - X nodes completed, Y nodes incomplete, Z nodes missing
  - Incomplete nodes: / - Missing nodes:   (when there are any)
  - Damaged nodes: ...   (when there are any)
  - N files, <size>

The data objects of each finished node are checked against its manifest
(one listing of the node's data path, no request per object): a node whose
objects are missing or stored with another size is damaged, with the count
and the first keys, and the backup is not complete (a restore of it would
fail); objects stored again since the backup with the same size are
counted, for verify --enable-md5-checks to read.

With [cassandra] commitlog_archiving, one more line per node of the backup that has
archived commit logs gives its point-in-time restore window
("- Point-in-time restore window of <fqdn>: <earliest> to <latest>", with
", gap between <t1> and <t2>" for each gap), and its JSON node entries gain
"pitr_window" (see docs/pitr.md).

Times are local ($TZ). --output json prints the cluster backup as JSON
(with damaged_nodes, damaged_nodes_list and stored_again_objects when the
check found any). An incomplete or damaged backup is reported with exit
code 0; an unknown backup exits 1 (with --output json after printing {}).

` + exitHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlag(cmd, "backup-name"); err != nil {
				return err
			}
			if err := checkOutput(output); err != nil {
				return err
			}
			return r.withCatalog(cmd.Context(), func(cfg *config.Config, cat *catalog.Catalog) error {
				cb, err := cat.ClusterBackup(cmd.Context(), name)
				if errors.Is(err, layout.ErrBackupNotFound) {
					if output == "json" {
						if werr := layout.WriteUnknownStatusJSON(cmd.OutOrStdout()); werr != nil {
							return werr
						}
					}
					return r.unknownBackup(name, err)
				}
				if err != nil {
					return err
				}
				backups := []layout.ClusterBackup{cb}
				if err := cat.LoadDetailsAndCheck(cmd.Context(), backups); err != nil {
					return err
				}
				var windows []layout.PITRWindow
				if cfg.Commitlog.Enabled {
					all, err := cat.ClusterBackups(cmd.Context())
					if err != nil {
						return err
					}
					if windows, err = r.pitrWindows(cmd.Context(), cfg, cat, all, backups, backupFQDNs(backups)); err != nil {
						return err
					}
				}
				if output == "json" {
					return layout.WriteStatusJSON(cmd.OutOrStdout(), backups[0])
				}
				if err := layout.WriteStatus(cmd.OutOrStdout(), backups[0], r.location()); err != nil {
					return err
				}
				return layout.WritePITRWindows(cmd.OutOrStdout(), windows, r.location(), "- ")
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "backup-name", "", "backup name (required)")
	f.StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}
