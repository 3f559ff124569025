// Package report is report-last-backup: the age and state of the latest
// backups, logged and optionally pushed as Medusa's metrics.
package report

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/clock"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/metrics"
)

const (
	// Attempts is how many times the report is tried.
	Attempts = 3
	// DefaultRetryDelay is the wait between attempts.
	DefaultRetryDelay = 15 * time.Second
	// TrackingErrorValue is sent as seconds-since-backup (about ten years)
	// when reporting fails, to trigger alerts.
	TrackingErrorValue = 315365400
)

// Reporter is Medusa's report_latest: it logs the age and state of the
// latest backups and, with Push, sends them to the Monitor.
type Reporter struct {
	Catalog *catalog.Catalog
	// FQDN is this node ([storage] fqdn).
	FQDN string
	// Push sends the figures to Monitor (--push-metrics).
	Push    bool
	Monitor metrics.Monitor
	Logger  *slog.Logger
	// Now is the clock (default time.Now); RetryDelay the wait between
	// attempts (zero: DefaultRetryDelay).
	Now        func() time.Time
	RetryDelay time.Duration
}

// Run makes up to Attempts attempts, RetryDelay apart. When every attempt
// fails, the tracking error (TrackingErrorValue, tag TRACKING-ERROR) is
// pushed and the error returned.
func (p *Reporter) Run(ctx context.Context) error {
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	delay := p.RetryDelay
	if delay == 0 {
		delay = DefaultRetryDelay
	}
	var err error
	for attempt := 1; attempt <= Attempts; attempt++ {
		p.Logger.Debug(fmt.Sprintf("Trying to report about existing backups (%d/%d)...", attempt, Attempts))
		if err = p.once(ctx); err == nil || ctx.Err() != nil {
			return err
		}
		if attempt < Attempts {
			p.Logger.Debug(fmt.Sprintf("Report attempt %d failed, waiting %v to retry", attempt, delay), "error", err)
			if err := clock.Sleep(ctx, delay); err != nil {
				return err
			}
		}
	}
	p.Logger.Error(fmt.Sprintf("This error happened during the check: %v", err))
	if p.Push {
		p.Logger.Info("Sending a big value to 'seconds-since-backup' metric to trigger alerts.")
		tags := []string{"medusa-cluster-backup", "seconds-since-backup", "TRACKING-ERROR"}
		if serr := p.Monitor.Send(tags, TrackingErrorValue); serr != nil {
			p.Logger.Error("could not send the tracking error metric", "error", serr)
		}
	}
	return fmt.Errorf("report last backup: %w", err)
}

func (p *Reporter) once(ctx context.Context) error {
	if err := p.nodeBackup(ctx); err != nil {
		return err
	}
	backups, err := p.Catalog.ClusterBackups(ctx)
	if err != nil {
		return err
	}
	checked, err := p.completeClusterBackup(ctx, backups)
	if err != nil {
		return err
	}
	return p.latestClusterBackup(ctx, backups, checked)
}

// send pushes one metric when --push-metrics was given.
func (p *Reporter) send(name, what, backup string, value int64) error {
	if !p.Push {
		return nil
	}
	return p.Monitor.Send([]string{name, what, backup}, value)
}

func (p *Reporter) nodeBackup(ctx context.Context) error {
	n, ok, err := p.Catalog.LatestNodeBackup(ctx, p.FQDN)
	if err != nil {
		return err
	}
	if !ok {
		p.Logger.Info("Did not find the latest node backup. Will try rebuild the index")
		_, err := catalog.BuildIndex(ctx, p.Catalog.Backend, p.Catalog.Prefix,
			catalog.BuildIndexOptions{Logger: p.Logger, Concurrency: p.Catalog.Concurrency})
		if err != nil {
			return err
		}
		if n, ok, err = p.Catalog.LatestNodeBackup(ctx, p.FQDN); err != nil {
			return err
		}
	}
	if !ok || n.Finished == nil {
		p.Logger.Info("This node has not been backed up yet")
		return nil
	}
	ago := p.Now().Unix() - *n.Finished
	p.Logger.Info(fmt.Sprintf("Latest node backup finished %d seconds ago", ago))
	return p.send("medusa-node-backup", "seconds-since-backup", n.Name, ago)
}

// completeClusterBackup reports the latest complete cluster backup. The
// index says which backups finished; the candidates' manifests are read and
// their data objects checked (catalog.LatestCheckedComplete): one with an
// unreadable manifest or damaged data is passed over, with a warning. It
// returns the backups it checked, by name.
func (p *Reporter) completeClusterBackup(ctx context.Context, backups []layout.ClusterBackup) (map[string]layout.ClusterBackup, error) {
	cb, ok, skipped, err := p.Catalog.LatestCheckedComplete(ctx, backups)
	if err != nil {
		return nil, err
	}
	checked := map[string]layout.ClusterBackup{}
	for _, s := range skipped {
		checked[s.Name] = s
		if s.IsDamaged() {
			p.Logger.Warn(fmt.Sprintf("Backup %s is not counted as complete: %s. "+
				"Run `medusa verify --backup-name %s` for every object concerned", s.Name, damageText(s), s.Name))
		} else {
			p.Logger.Warn(fmt.Sprintf("Backup %s is not counted as complete: a manifest cannot be read", s.Name))
		}
	}
	if !ok {
		p.Logger.Info("The cluster this node belongs to has no complete backup yet")
		return checked, nil
	}
	checked[cb.Name] = cb
	ago := p.Now().Unix() - *cb.Finished()
	p.Logger.Info("Latest complete backup:")
	p.Logger.Info("- Name: " + cb.Name)
	p.Logger.Info(fmt.Sprintf("- Finished: %d seconds ago", ago))
	return checked, p.send("medusa-cluster-backup", "seconds-since-backup", cb.Name, ago)
}

// damageText says which nodes of cb are damaged and how, e.g.
// "node n1: 1 of 317 objects missing (first: <key>)".
func damageText(cb layout.ClusterBackup) string {
	var parts []string
	for _, n := range cb.DamagedNodes() {
		first := append(slices.Clone(n.Damage.MissingKeys), n.Damage.ResizedKeys...)
		parts = append(parts, fmt.Sprintf("node %s: %s (first: %s)", n.FQDN, n.Damage.Summary(n.NumObjects), first[0]))
	}
	return strings.Join(parts, "; ")
}

// latestClusterBackup reports the cluster backup started last, with its
// data checked (reusing what completeClusterBackup checked).
func (p *Reporter) latestClusterBackup(ctx context.Context, backups []layout.ClusterBackup,
	checked map[string]layout.ClusterBackup) error {
	cb, ok := layout.LatestClusterBackup(backups)
	if !ok {
		p.Logger.Info("The cluster this node belongs to has not started a backup yet")
		return nil
	}
	if c, ok := checked[cb.Name]; ok {
		cb = c
	} else {
		one := []layout.ClusterBackup{cb}
		one[0].Nodes = slices.Clone(cb.Nodes)
		if err := p.Catalog.LoadDetailsAndCheck(ctx, one); err != nil {
			return err
		}
		cb = one[0]
	}
	complete, incomplete, missing, damaged := cb.CompleteNodes(), cb.IncompleteNodes(), cb.MissingNodes(), cb.DamagedNodes()
	p.Logger.Info("Latest backup:")
	p.Logger.Info("- Name: " + cb.Name)
	p.Logger.Info(fmt.Sprintf("- Finished: %s", map[bool]string{true: "True", false: "False"}[cb.IsComplete()]))
	p.Logger.Info("- Details - Node counts")
	p.Logger.Info(fmt.Sprintf("- Complete backup: %d nodes have completed the backup", len(complete)))
	if len(incomplete) > 0 {
		p.Logger.Info(fmt.Sprintf("- Incomplete backup: %d nodes have not completed the backup yet", len(incomplete)))
		p.Logger.Info("  These nodes are:")
		for _, n := range incomplete {
			p.Logger.Info("     " + n.FQDN)
		}
	}
	if len(missing) > 0 {
		p.Logger.Info(fmt.Sprintf("- Missing backup: %d nodes are not running backups", len(missing)))
		p.Logger.Info("  These nodes are:")
		for _, m := range missing {
			p.Logger.Info("     " + m)
		}
	}
	if len(damaged) > 0 {
		p.Logger.Warn(fmt.Sprintf("- Damaged backup: %d nodes have data objects missing or stored with another size "+
			"(a restore would fail; run `medusa verify --backup-name %s`)", len(damaged), cb.Name))
		p.Logger.Warn("  These nodes are:")
		for _, n := range damaged {
			p.Logger.Warn(fmt.Sprintf("     %s: %s", n.FQDN, n.Damage.Summary(n.NumObjects)))
		}
	}
	p.Logger.Info("- Total size: " + layout.FormatBytesIEC(cb.Size()))
	p.Logger.Info(fmt.Sprintf("- Total files: %d", cb.NumObjects()))
	for _, m := range []struct {
		what  string
		value int64
	}{
		{"complete-backups-node-count", int64(len(complete))},
		{"incomplete-backups-node-count", int64(len(incomplete))},
		{"missing-backups-node-count", int64(len(missing))},
		{"backup-total-size", cb.Size()},
		{"backup-total-file-count", cb.NumObjects()},
		{"damaged-backups-node-count", int64(len(damaged))},
	} {
		if err := p.send("medusa-cluster-backup", m.what, cb.Name, m.value); err != nil {
			return err
		}
	}
	return nil
}
