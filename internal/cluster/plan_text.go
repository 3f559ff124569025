package cluster

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/medusa-go/medusa/internal/progress"
)

// WritePlan prints the plan: mode and why, source -> target with seeds
// and bytes, what is stopped, and the order of the steps.
func WritePlan(w io.Writer, p *Plan, o RestoreOptions) error {
	fmt.Fprintf(w, "Restore plan for backup %s\n", p.Backup)
	fmt.Fprintf(w, "Mode: %s (%s)\n", p.Mode, p.Why)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  SOURCE\t\tTARGET\tSEED\tBYTES")
	var total int64
	for _, a := range p.Assignments {
		seed := "no"
		if a.Seed {
			seed = "yes"
		}
		if p.Mode == ModeLoader {
			seed = "-"
		}
		total += a.Bytes
		fmt.Fprintf(tw, "  %s\t->\t%s\t%s\t%s\n", strings.Join(a.Sources, ","), a.Target, seed, progress.Bytes(a.Bytes))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "Total: %s on %d nodes\n", progress.Bytes(total), len(p.Assignments))
	if len(p.NotRestored) > 0 {
		fmt.Fprintf(w, "Not restored (no finished node backup): %s\n", strings.Join(p.NotRestored, ", "))
	}
	if p.Mode == ModeLoader {
		fmt.Fprintln(w, "Steps: create the backup's schema once, then stream each target's sources with sstableloader; no node is stopped")
		return nil
	}
	fmt.Fprintf(w, "Stopped: %s (all of them before any node is restored)\n", strings.Join(p.Targets(), ", "))
	var rest []string
	for _, a := range p.Assignments {
		if !a.Seed {
			rest = append(rest, a.Target)
		}
	}
	order := "Steps: stop every target; restore-node on each target (download, check, place, start); "
	switch {
	case len(p.Seeds()) == 0:
		order += "every node starts at once (no seed among the targets)"
	case len(rest) > 0:
		order += "seeds " + strings.Join(p.Seeds(), ", ") + " start first, then " + strings.Join(rest, ", ") + " once a seed answers"
	default:
		order += "seeds " + strings.Join(p.Seeds(), ", ") + " start"
	}
	if o.Parallel > 0 && o.Parallel < len(p.Assignments) {
		order += fmt.Sprintf("; at most %d nodes at a time", o.Parallel)
	}
	_, err := fmt.Fprintln(w, order)
	return err
}
