package cli

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/layout"
)

const (
	reportAttempts   = 3
	reportRetryDelay = 15 * time.Second
	// trackingErrorValue is sent as seconds-since-backup (about ten years)
	// when reporting fails, to trigger alerts.
	trackingErrorValue = 315365400
)

// newReportLastBackupCmd is `medusa report-last-backup` (spec §1.2, §4.7).
func newReportLastBackupCmd(r *root) *cobra.Command {
	var push bool
	cmd := &cobra.Command{
		Use:   "report-last-backup",
		Short: "Log the age and state of the latest backups, optionally push metrics",
		Long: `Log how long ago this node's latest backup finished, which complete cluster
backup finished last and how long ago, and the node counts, total size and
file count of the latest cluster backup. When this node has no latest-backup
marker, the index is rebuilt first (as build-index does).

With --push-metrics the figures are also sent to [monitoring]
monitoring_provider: None (nothing), local (JSON lines appended to
./metrics.json) or dog-statsd (UDP gauges to $DD_AGENT_HOST, default
localhost, port $DD_DOGSTATSD_PORT, default 8125; the backup_name tag only
with send_backup_name_tag = true). Metrics: medusa-node-backup.seconds-since-backup,
medusa-cluster-backup.{seconds-since-backup, complete-backups-node-count,
incomplete-backups-node-count, missing-backups-node-count, backup-total-size,
backup-total-file-count}.

A failed attempt is retried twice, 15 seconds apart. When all fail,
medusa-cluster-backup.seconds-since-backup = 315365400 is pushed with the tag
TRACKING-ERROR (with --push-metrics) and the command exits 1 (Medusa exits 0).

` + exitHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, cat, err := r.openCatalog(cmd.Context())
			if err != nil {
				return err
			}
			defer cat.Backend.Close()
			mon, err := newMonitor(cfg.Monitoring, r.getenv)
			if err != nil {
				return configError{err}
			}
			rep := &reporter{cat: cat, fqdn: cfg.Storage.FQDN, push: push, mon: mon, log: r.logger, now: time.Now}
			return rep.run(cmd.Context(), reportRetryDelay)
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

// reporter is Medusa's report_latest.
type reporter struct {
	cat  *catalog.Catalog
	fqdn string
	push bool
	mon  monitor
	log  *slog.Logger
	now  func() time.Time
}

// run makes up to reportAttempts attempts, delay apart.
func (p *reporter) run(ctx context.Context, delay time.Duration) error {
	var err error
	for attempt := 1; attempt <= reportAttempts; attempt++ {
		p.log.Debug(fmt.Sprintf("Trying to report about existing backups (%d/%d)...", attempt, reportAttempts))
		if err = p.once(ctx); err == nil || ctx.Err() != nil {
			return err
		}
		if attempt < reportAttempts {
			p.log.Debug(fmt.Sprintf("Report attempt %d failed, waiting %v to retry", attempt, delay), "error", err)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(delay):
			}
		}
	}
	p.log.Error(fmt.Sprintf("This error happened during the check: %v", err))
	if p.push {
		p.log.Info("Sending a big value to 'seconds-since-backup' metric to trigger alerts.")
		tags := []string{"medusa-cluster-backup", "seconds-since-backup", "TRACKING-ERROR"}
		if serr := p.mon.send(tags, trackingErrorValue); serr != nil {
			p.log.Error("could not send the tracking error metric", "error", serr)
		}
	}
	return fmt.Errorf("report last backup: %w", err)
}

func (p *reporter) once(ctx context.Context) error {
	if err := p.nodeBackup(ctx); err != nil {
		return err
	}
	backups, err := p.cat.ClusterBackups(ctx)
	if err != nil {
		return err
	}
	if err := p.completeClusterBackup(backups); err != nil {
		return err
	}
	return p.latestClusterBackup(ctx, backups)
}

// send pushes one metric when --push-metrics was given.
func (p *reporter) send(name, what, backup string, value int64) error {
	if !p.push {
		return nil
	}
	return p.mon.send([]string{name, what, backup}, value)
}

func (p *reporter) nodeBackup(ctx context.Context) error {
	n, ok, err := p.cat.LatestNodeBackup(ctx, p.fqdn)
	if err != nil {
		return err
	}
	if !ok {
		p.log.Info("Did not find the latest node backup. Will try rebuild the index")
		_, err := catalog.BuildIndex(ctx, p.cat.Backend, p.cat.Prefix,
			catalog.BuildIndexOptions{Logger: p.log, Concurrency: p.cat.Concurrency})
		if err != nil {
			return err
		}
		if n, ok, err = p.cat.LatestNodeBackup(ctx, p.fqdn); err != nil {
			return err
		}
	}
	if !ok || n.Finished == nil {
		p.log.Info("This node has not been backed up yet")
		return nil
	}
	ago := p.now().Unix() - *n.Finished
	p.log.Info(fmt.Sprintf("Latest node backup finished %d seconds ago", ago))
	return p.send("medusa-node-backup", "seconds-since-backup", n.Name, ago)
}

func (p *reporter) completeClusterBackup(backups []layout.ClusterBackup) error {
	cb, ok := layout.LatestCompleteClusterBackup(backups)
	if !ok {
		p.log.Info("The cluster this node belongs to has no complete backup yet")
		return nil
	}
	ago := p.now().Unix() - *cb.Finished()
	p.log.Info("Latest complete backup:")
	p.log.Info("- Name: " + cb.Name)
	p.log.Info(fmt.Sprintf("- Finished: %d seconds ago", ago))
	return p.send("medusa-cluster-backup", "seconds-since-backup", cb.Name, ago)
}

func (p *reporter) latestClusterBackup(ctx context.Context, backups []layout.ClusterBackup) error {
	cb, ok := layout.LatestClusterBackup(backups)
	if !ok {
		p.log.Info("The cluster this node belongs to has not started a backup yet")
		return nil
	}
	one := []layout.ClusterBackup{cb}
	if err := p.cat.LoadDetails(ctx, one); err != nil {
		return err
	}
	cb = one[0]
	complete, incomplete, missing := cb.CompleteNodes(), cb.IncompleteNodes(), cb.MissingNodes()
	p.log.Info("Latest backup:")
	p.log.Info("- Name: " + cb.Name)
	p.log.Info(fmt.Sprintf("- Finished: %s", map[bool]string{true: "True", false: "False"}[cb.IsComplete()]))
	p.log.Info("- Details - Node counts")
	p.log.Info(fmt.Sprintf("- Complete backup: %d nodes have completed the backup", len(complete)))
	if len(incomplete) > 0 {
		p.log.Info(fmt.Sprintf("- Incomplete backup: %d nodes have not completed the backup yet", len(incomplete)))
		p.log.Info("  These nodes are:")
		for _, n := range incomplete {
			p.log.Info("     " + n.FQDN)
		}
	}
	if len(missing) > 0 {
		p.log.Info(fmt.Sprintf("- Missing backup: %d nodes are not running backups", len(missing)))
		p.log.Info("  These nodes are:")
		for _, m := range missing {
			p.log.Info("     " + m)
		}
	}
	p.log.Info("- Total size: " + humanReadableSize(cb.Size()))
	p.log.Info(fmt.Sprintf("- Total files: %d", cb.NumObjects()))
	for _, m := range []struct {
		what  string
		value int64
	}{
		{"complete-backups-node-count", int64(len(complete))},
		{"incomplete-backups-node-count", int64(len(incomplete))},
		{"missing-backups-node-count", int64(len(missing))},
		{"backup-total-size", cb.Size()},
		{"backup-total-file-count", cb.NumObjects()},
	} {
		if err := p.send("medusa-cluster-backup", m.what, cb.Name, m.value); err != nil {
			return err
		}
	}
	return nil
}

// humanReadableSize is report_latest's human_readable_size: 1024-based
// with binary prefixes, two decimals ("160.00 B", "1.50 KiB").
func humanReadableSize(n int64) string {
	v := float64(n)
	for _, unit := range []string{"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi"} {
		if v < 1024 && v > -1024 {
			return fmt.Sprintf("%.2f %sB", v, unit)
		}
		v /= 1024
	}
	return fmt.Sprintf("%.2f YiB", v)
}
