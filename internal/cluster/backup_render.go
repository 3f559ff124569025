package cluster

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/medusa-go/medusa/internal/layout"
)

// WritePlan prints what the run does (or, with DryRun, would do): the
// nodes, what happens on each, and the command each node runs.
func (r *BackupResult) WritePlan(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Cluster backup %s (%s), seed %s: %d nodes in %d datacenter(s)\n",
		r.Name, r.Mode, r.Topology.Seed, len(r.Topology.Nodes), len(r.Topology.DCs()))
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  HOST\tDC\tRACK\tFIRST TOKEN\tSTATE\tACTION")
	for _, n := range r.Topology.Nodes {
		state := "up"
		if !n.Up {
			state = "DOWN"
		}
		action := "back up"
		if o := r.outcome(n.Host); o != nil && o.Status == StatusEarlier {
			action = "none: finished by an earlier run"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", n.Host, n.DC, n.Rack, n.FirstToken(), state, action)
	}
	_ = tw.Flush()
	if len(r.Snapshot) > 0 {
		fmt.Fprintf(&b, "Snapshot phase: %d node(s), %s at a time:\n", len(r.Snapshot), parallelText(r.ParallelSnapshots))
		writeSteps(&b, r.Snapshot)
	} else {
		b.WriteString("Snapshot phase: none (--use-existing-snapshot: each node's snapshot named like the backup is used)\n")
	}
	fmt.Fprintf(&b, "Backup phase: %d node(s), %s at a time:\n", len(r.Upload), parallelText(r.ParallelUploads))
	writeSteps(&b, r.Upload)
	if len(r.Clear) > 0 {
		b.WriteString("If a node fails: the snapshot is cleared on every node above:\n")
		writeSteps(&b, r.Clear[:1])
	}
	if r.DryRun {
		b.WriteString("Dry run: nothing was changed.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeSteps(b *strings.Builder, steps []Step) {
	for _, s := range steps {
		fmt.Fprintf(b, "  [%s] %s\n", s.Host, s.Cmd.String())
	}
}

func (r *BackupResult) outcome(host string) *NodeOutcome {
	for i := range r.Nodes {
		if r.Nodes[i].Host == host {
			return &r.Nodes[i]
		}
	}
	return nil
}

// WriteSummary prints one line per node (result, files, size, the
// durations of its snapshot and backup) and the totals with the time of
// each phase.
func (r *BackupResult) WriteSummary(w io.Writer) error {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tDC\tRESULT\tFILES\tSIZE\tSNAPSHOT\tBACKUP")
	var files, size int64
	ok := 0
	for _, n := range r.Nodes {
		f, s := "-", "-"
		if n.Files >= 0 && (n.Status == StatusOK || n.Status == StatusEarlier) {
			f, s = fmt.Sprint(n.Files), layout.FormatBytes(n.Bytes)
			files += n.Files
			size += n.Bytes
		}
		if n.Status == StatusOK || n.Status == StatusEarlier {
			ok++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", n.Host, n.DC, n.Status, f, s, secs(n.Snapshot), secs(n.Backup))
	}
	_ = tw.Flush()
	fmt.Fprintf(&b, "%d of %d nodes backed up, %d files, %s; %s in all", ok, len(r.Nodes), files,
		layout.FormatBytes(size), secs(r.Wall))
	if len(r.Phases) > 0 {
		parts := make([]string, len(r.Phases))
		for i, p := range r.Phases {
			parts[i] = p.Name + " " + secs(p.Duration)
		}
		fmt.Fprintf(&b, " (%s)", strings.Join(parts, ", "))
	}
	b.WriteString("\n")
	if r.LogDir != "" {
		fmt.Fprintf(&b, "Each node's output: %s\n", r.LogDir)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func secs(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}
