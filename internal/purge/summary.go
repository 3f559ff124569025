package purge

import (
	"bufio"
	"fmt"
	"io"
	"time"

	"github.com/medusa-go/medusa/internal/layout"
)

// Summary is the outcome of a purge, delete-backup or
// purge-decommissioned run (in a dry run: what it would do).
type Summary struct {
	DryRun    bool
	GraceDays int
	Nodes     []NodeResult
}

// Backups returns the number of node backups deleted.
func (s Summary) Backups() int {
	n := 0
	for _, r := range s.Nodes {
		n += len(r.Backups)
	}
	return n
}

// Deleted returns the number and total size of the objects deleted:
// the backups' objects and index entries, unreferenced pool objects and
// archived commit log segments with their sidecars.
func (s Summary) Deleted() (objects int, bytes int64) {
	for _, r := range s.Nodes {
		for _, b := range r.Backups {
			objects, bytes = objects+b.Objects, bytes+b.Bytes
		}
		for _, o := range r.Orphans.Delete {
			objects, bytes = objects+1, bytes+o.Size
		}
		_, o, b := r.Segments.Deleted()
		objects, bytes = objects+o, bytes+b
	}
	return objects, bytes
}

// Segments returns the archived commit log segments deleted (number and
// total size of their objects), kept, and kept for Object Lock retention
// with the earliest release among them; found is false when no node had an
// archived segment.
func (s Summary) Segments() (deleted int, bytes int64, kept, locked int, lockedUntil time.Time, found bool) {
	for _, r := range s.Nodes {
		p := r.Segments
		if len(p.Pins) == 0 {
			continue
		}
		found = true
		d, _, b := p.Deleted()
		deleted, bytes, kept, locked = deleted+d, bytes+b, kept+p.Kept, locked+len(p.Locked)
		if u := p.LockedUntil; len(p.Locked) > 0 && (lockedUntil.IsZero() || u.Before(lockedUntil)) {
			lockedUntil = u
		}
	}
	return deleted, bytes, kept, locked, lockedUntil, found
}

// WithinGrace returns the number of unreferenced pool objects kept
// because they are younger than the grace period.
func (s Summary) WithinGrace() int {
	n := 0
	for _, r := range s.Nodes {
		n += len(r.Orphans.WithinGrace)
	}
	return n
}

// Postponed returns the number of unreferenced pool objects kept because a
// backup of their node may be running.
func (s Summary) Postponed() int {
	n := 0
	for _, r := range s.Nodes {
		n += len(r.Orphans.Postponed)
	}
	return n
}

func (e *Executor) logSummary(s Summary) {
	objects, bytes := s.Deleted()
	verb := "Purged"
	if s.DryRun {
		verb = "Would purge"
	}
	e.log().Info(fmt.Sprintf("%s %d objects with a total size of %s", verb, objects, layout.FormatBytes(bytes)))
	if n := s.WithinGrace(); n > 0 {
		e.log().Info(fmt.Sprintf("%d objects within %d days grace period were not deleted", n, s.GraceDays))
	}
	if n, first := s.Locked(); n > 0 {
		e.log().Info(fmt.Sprintf("%d backups under object lock retention were not deleted (first release %s)",
			n, first.UTC().Format(time.RFC3339)))
	}
	if deleted, bytes, kept, locked, _, found := s.Segments(); found {
		e.log().Info(fmt.Sprintf("%s %d archived commit log segments (%s); %d kept for the remaining backups, "+
			"%d under object lock retention", verb, deleted, layout.FormatBytes(bytes), kept, locked))
	}
}

// WriteText writes the summary for a person: one line per deleted node
// backup and per cleaned pool, then the totals.
func (s Summary) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	would := ""
	if s.DryRun {
		would = "would be "
		bw.WriteString("Dry run: nothing was deleted.\n")
	}
	for _, r := range s.Nodes {
		for _, b := range r.Backups {
			fmt.Fprintf(bw, "- backup %s of %s %sdeleted (%s): %d objects, %s\n", b.Backup.Name, r.FQDN, would,
				b.Reason, b.Objects, layout.FormatBytes(b.Bytes))
		}
		var size int64
		for _, o := range r.Orphans.Delete {
			size += o.Size
		}
		if len(r.Orphans.Delete) > 0 {
			fmt.Fprintf(bw, "- %d unreferenced objects of the pool of %s %sdeleted: %s\n", len(r.Orphans.Delete),
				r.FQDN, would, layout.FormatBytes(size))
		}
		for _, b := range r.Locked {
			fmt.Fprintf(bw, "- backup %s of %s kept (%s): under object lock retention until %s\n", b.Backup.Name, r.FQDN,
				b.Reason, b.Until.UTC().Format(time.RFC3339))
		}
		if len(r.Orphans.Locked) > 0 {
			fmt.Fprintf(bw, "- %d unreferenced objects of the pool of %s kept: under object lock retention (first release %s)\n",
				len(r.Orphans.Locked), r.FQDN, r.Orphans.LockedUntil.UTC().Format(time.RFC3339))
		}
		if len(r.Orphans.Postponed) > 0 {
			fmt.Fprintf(bw, "- %d unreferenced objects of the pool of %s kept: backup(s) %v may still be running\n",
				len(r.Orphans.Postponed), r.FQDN, r.Running)
		}
		writeSegmentLines(bw, r, would)
	}
	objects, bytes := s.Deleted()
	if s.DryRun {
		fmt.Fprintf(bw, "Backups that would be purged: %d\n", s.Backups())
		fmt.Fprintf(bw, "Objects that would be deleted: %d (%s)\n", objects, layout.FormatBytes(bytes))
	} else {
		fmt.Fprintf(bw, "Backups purged: %d\n", s.Backups())
		fmt.Fprintf(bw, "Objects deleted: %d (%s)\n", objects, layout.FormatBytes(bytes))
	}
	fmt.Fprintf(bw, "Objects kept by the %d-day grace period: %d\n", s.GraceDays, s.WithinGrace())
	if n := s.Postponed(); n > 0 {
		fmt.Fprintf(bw, "Objects kept while a backup may be running: %d\n", n)
	}
	if n, first := s.Locked(); n > 0 {
		fmt.Fprintf(bw, "Backups kept by object lock retention: %d (first release %s)\n", n, first.UTC().Format(time.RFC3339))
	}
	if n, first := s.LockedObjects(); n > 0 {
		fmt.Fprintf(bw, "Objects kept by object lock retention: %d (first release %s)\n", n, first.UTC().Format(time.RFC3339))
	}
	if deleted, bytes, kept, locked, until, found := s.Segments(); found {
		verb := "deleted"
		if s.DryRun {
			verb = "that would be deleted"
		}
		fmt.Fprintf(bw, "Commit log segments %s: %d (%s), kept: %d\n", verb, deleted, layout.FormatBytes(bytes), kept)
		if locked > 0 {
			fmt.Fprintf(bw, "Commit log segments kept by object lock retention: %d (first release %s)\n", locked,
				until.UTC().Format(time.RFC3339))
		}
	}
	return bw.Flush()
}

// writeSegmentLines writes what happened to the archived commit logs of
// one node, when it has any.
func writeSegmentLines(bw *bufio.Writer, r NodeResult, would string) {
	p := r.Segments
	if len(p.Pins) == 0 {
		return
	}
	n, _, size := p.Deleted()
	if n > 0 {
		fmt.Fprintf(bw, "- %d archived commit log segments of %s %sdeleted: %s\n", n, r.FQDN, would, layout.FormatBytes(size))
	}
	if p.DeleteUnknown && len(p.Unknown) > 0 {
		fmt.Fprintf(bw, "- %d other objects under %s/commitlogs/ %sdeleted\n", len(p.Unknown), r.FQDN, would)
	}
	if p.Kept > 0 {
		fmt.Fprintf(bw, "- %d archived commit log segments of %s kept: %s\n", p.Kept, r.FQDN, p.keptBecause())
	}
	if len(p.Locked) > 0 {
		fmt.Fprintf(bw, "- %d archived commit log segments of %s kept: under object lock retention (first release %s)\n",
			len(p.Locked), r.FQDN, p.LockedUntil.UTC().Format(time.RFC3339))
	}
}
