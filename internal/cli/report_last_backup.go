package cli

import (
	"github.com/spf13/cobra"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/metrics"
	"github.com/medusa-go/medusa/internal/report"
)

// newReportLastBackupCmd is `medusa report-last-backup`.
func newReportLastBackupCmd(r *root) *cobra.Command {
	var push bool
	cmd := &cobra.Command{
		Use:   "report-last-backup",
		Short: "Log the age and state of the latest backups, optionally push metrics",
		Long: `Log how long ago this node's latest backup finished, which complete cluster
backup finished last and how long ago, and the node counts, total size and
file count of the latest cluster backup. When this node has no latest-backup
marker, the index is rebuilt first (as build-index does).

The data objects of the backups reported as complete are checked against
their manifests (one listing of each node's data path, no request per
object, as status does): a backup with objects missing or stored with
another size is damaged, is not counted as complete (a warning names it,
its nodes and the first key), and the next complete backup is reported
instead.

With --push-metrics the figures are also sent to [monitoring]
monitoring_provider: None (nothing), local (JSON lines appended to
./metrics.json) or dog-statsd (UDP gauges to $DD_AGENT_HOST, default
localhost, port $DD_DOGSTATSD_PORT, default 8125; the backup_name tag only
with send_backup_name_tag = true). Metrics: medusa-node-backup.seconds-since-backup,
medusa-cluster-backup.{seconds-since-backup, complete-backups-node-count,
incomplete-backups-node-count, missing-backups-node-count, backup-total-size,
backup-total-file-count, damaged-backups-node-count}; the last one is ours
(Medusa has no data check), the node counts exclude damaged nodes.

With monitoring_provider = prometheus (ours), every run, with or without
--push-metrics, writes medusa_report_last_backup.prom and
medusa_backup_age.prom (medusa_backup_overdue: this node's last complete
backup older than [monitoring] backup_overdue_hours) into [monitoring]
prometheus_textfile_dir for node_exporter's textfile collector; see
docs/metrics.md.

A failed attempt is retried twice, 15 seconds apart. When all fail,
medusa-cluster-backup.seconds-since-backup = 315365400 is pushed with the tag
TRACKING-ERROR (with --push-metrics) and the command exits 1 (Medusa exits 0).

` + exitHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return r.withCatalog(cmd.Context(), func(cfg *config.Config, cat *catalog.Catalog) error {
				mon, err := metrics.New(cfg.Monitoring, r.getenv)
				if err != nil {
					return configError{err}
				}
				rep := &report.Reporter{Catalog: cat, FQDN: cfg.Storage.FQDN, Push: push, Monitor: mon, Logger: r.logger}
				err = rep.Run(cmd.Context())
				r.checkBackupAge(cmd.Context(), cat)
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&push, "push-metrics", false, "also send the figures to the monitoring provider")
	return cmd
}

func (r *root) getenv(k string) string {
	if r.env.Getenv == nil {
		return ""
	}
	return r.env.Getenv(k)
}
