package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/medusa-go/medusa/internal/restore"
)

// newDownloadCmd is `medusa download`.
func newDownloadCmd(r *root) *cobra.Command {
	var o restore.DownloadOptions
	cmd := &cobra.Command{
		Use:   "download",
		Short: "Download a backup of the local node into a directory",
		Long: `Download the backup of the local node ([storage] fqdn, or --fqdn) into
--download-destination, which must exist:

  <destination>/<keyspace>/<table dir>/<files>
  <destination>/manifest.json, schema.cql, tokenmap.json

The free space is checked first, and every file is checked against the
manifest (size and hash) once downloaded. --keyspace and --table
(repeatable, keyspace.table) download only those, plus the system keyspaces
unless --ignore-system-keyspaces is given. Cassandra is not involved.

` + exitHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, name := range []string{"backup-name", "download-destination"} {
				if err := requireFlag(cmd, name); err != nil {
					return err
				}
			}
			logger, reporter := r.progressOutput()
			a, err := r.open(cmd.Context(), logger)
			if err != nil {
				return err
			}
			if _, err := a.Download(cmd.Context(), o, reporter); err != nil {
				return fmt.Errorf("download %s: %w", o.Backup, err)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Backup, "backup-name", "", "backup to download (required)")
	fl.StringVar(&o.Destination, "download-destination", "", "existing directory to download into (required)")
	fl.StringArrayVar(&o.Keyspaces, "keyspace", nil, "download this keyspace (repeatable)")
	fl.StringArrayVar(&o.Tables, "table", nil, "download this table, as keyspace.table (repeatable)")
	fl.BoolVar(&o.IgnoreSystemKeyspaces, "ignore-system-keyspaces", false,
		"leave out system, system_schema, system_auth and system_distributed")
	return cmd
}
