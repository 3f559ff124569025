package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/medusa-go/medusa/internal/commitlog"
)

// newCommitlogSyncCmd is `medusa commitlog sync [--once]`.
func newCommitlogSyncCmd(r *root) *cobra.Command {
	var once bool
	var interval, sweepAge time.Duration
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Upload the spooled commit log segments to the bucket",
		Long: `Upload every segment in the spool, oldest first: check its header, compress it
with zstd (segments Cassandra compressed or encrypted are stored as they are),
upload it, then its sidecar <...>.json, which marks it archived, then remove
it from the spool. Segments already archived are skipped. Segments left in the
commit log directory because their archive failed (older than --sweep-age,
not the newest two) are uploaded too and left in place.

With --once it syncs once and exits (non-zero if anything stays spooled);
otherwise it syncs every --interval until interrupted. Every backup also syncs
when [cassandra] commitlog_archiving is set.

` + exitHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := r.open(cmd.Context(), nil)
			if err != nil {
				return err
			}
			sync := func(ctx context.Context) error {
				res, err := a.CommitlogSync(ctx, sweepAge)
				r.logger.Info("Commit log sync", "uploaded", res.Uploaded, "skipped", res.Skipped,
					"swept", res.Swept, "bytes", res.Bytes, "left", res.Left)
				return err
			}
			if once {
				return sync(cmd.Context())
			}
			t := time.NewTicker(interval)
			defer t.Stop()
			for {
				if err := sync(cmd.Context()); err != nil && !errors.Is(err, commitlog.ErrSyncBusy) {
					if cmd.Context().Err() != nil {
						return err
					}
					r.logger.Error("Commit log sync failed; retrying", "error", err, "in", interval.String())
				}
				select {
				case <-cmd.Context().Done():
					return nil
				case <-t.C:
				}
			}
		},
	}
	cmd.Flags().BoolVar(&once, "once", false, "sync once and exit")
	cmd.Flags().DurationVar(&interval, "interval", 10*time.Second, "time between syncs without --once")
	cmd.Flags().DurationVar(&sweepAge, "sweep-age", time.Minute,
		"a segment left in the commit log directory this long is one whose archive failed: upload it")
	return cmd
}

// newCommitlogListCmd is `medusa commitlog list`.
func newCommitlogListCmd(r *root) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the archived commit log segments of a node",
		Long: `List the archived commit log segments of this node ([storage] fqdn, or --fqdn):
their runs of consecutive ids, the gaps (segments of one Cassandra run that
are missing), the earliest and latest archived write times, and the
point-in-time restores of the node (each starts a new timeline:
docs/pitr.md).

` + exitHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			a, err := r.open(cmd.Context(), nil)
			if err != nil {
				return err
			}
			fqdn := a.Config.Storage.FQDN
			segs, err := a.CommitlogList(cmd.Context(), fqdn)
			if err != nil {
				return err
			}
			restores, err := a.CommitlogRestores(cmd.Context(), fqdn)
			if err != nil {
				return err
			}
			s := summarize(fqdn, segs)
			s.Restores = restores
			if output == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(s)
			}
			writeSummary(cmd.OutOrStdout(), s, r.location())
			return nil
		},
	}
	cmd.Flags().StringVar(&output, "output", "text", "output format: text or json")
	return cmd
}

// segmentRun is a run of consecutive segment ids in `commitlog list`.
type segmentRun struct {
	FirstID  int64     `json:"first_id"`
	LastID   int64     `json:"last_id"`
	Segments int       `json:"segments"`
	JVMRun   string    `json:"jvm_run,omitempty"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
}

type segmentSummary struct {
	FQDN     string                    `json:"fqdn"`
	Count    int                       `json:"count"`
	Bytes    int64                     `json:"stored_bytes"`
	Earliest *time.Time                `json:"earliest,omitempty"`
	Latest   *time.Time                `json:"latest,omitempty"`
	Runs     []segmentRun              `json:"runs"`
	Gaps     []commitlog.Gap           `json:"gaps"`
	Segments []commitlog.SegmentInfo   `json:"segments"`
	Restores []commitlog.RestoreMarker `json:"restores,omitempty"`
}

func summarize(fqdn string, segs []commitlog.SegmentInfo) segmentSummary {
	s := segmentSummary{FQDN: fqdn, Count: len(segs), Runs: []segmentRun{}, Gaps: commitlog.Gaps(segs),
		Segments: segs}
	if s.Gaps == nil {
		s.Gaps = []commitlog.Gap{}
	}
	if s.Segments == nil {
		s.Segments = []commitlog.SegmentInfo{}
	}
	for _, g := range segs {
		s.Bytes += g.StoredSize
	}
	for _, run := range commitlog.Runs(segs) {
		first, last := run[0], run[len(run)-1]
		s.Runs = append(s.Runs, segmentRun{FirstID: first.ID, LastID: last.ID, Segments: len(run),
			JVMRun: first.JVMRun, From: time.UnixMilli(first.FirstWriteMs).UTC(), To: last.Mtime()})
	}
	if len(segs) > 0 {
		e, l := time.UnixMilli(segs[0].FirstWriteMs).UTC(), segs[len(segs)-1].Mtime()
		s.Earliest, s.Latest = &e, &l
	}
	return s
}

func writeSummary(w io.Writer, s segmentSummary, loc *time.Location) {
	if s.Count == 0 {
		fmt.Fprintf(w, "No archived commit log segments for %s\n", s.FQDN)
		return
	}
	const layout = "2006-01-02 15:04:05.000 MST"
	fmt.Fprintf(w, "%s: %d archived segments (%d bytes stored), writes from %s to %s\n", s.FQDN, s.Count, s.Bytes,
		s.Earliest.In(loc).Format(layout), s.Latest.In(loc).Format(layout))
	for _, r := range s.Runs {
		fmt.Fprintf(w, "  ids %d-%d: %d segments, %s to %s\n", r.FirstID, r.LastID, r.Segments,
			r.From.In(loc).Format(layout), r.To.In(loc).Format(layout))
	}
	for _, g := range s.Gaps {
		fmt.Fprintf(w, "  GAP: %s\n", g)
	}
	for _, m := range s.Restores {
		fmt.Fprintf(w, "  RESTORED at %s to %s (base backup %s): segments written before belong to the replaced "+
			"history\n", m.RestoredAt().In(loc).Format(layout), m.Target.In(loc).Format(layout), m.BaseBackup)
	}
}
