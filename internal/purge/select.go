package purge

import (
	"slices"
	"sort"
	"time"
)

// Backup is one node backup as the selection sees it, built from the index
// and from the node's objects in storage.
type Backup struct {
	Name string
	FQDN string
	// Started is the start epoch (index started_ entry, else the
	// LastModified of meta/schema.cql); 0 when unknown (leftovers only).
	Started int64
	// Finished is the finish epoch (index finished_ entry, else the
	// LastModified of meta/manifest.json); nil for an unfinished backup.
	Finished     *int64
	Differential bool
	// Leftover marks what an interrupted deletion left behind: index
	// entries or objects of a node backup whose meta/schema.cql is gone.
	// A node backup writes meta/schema.cql before anything else, so a
	// running backup is never a leftover.
	Leftover bool
}

// IsFinished reports whether the backup finished (has a manifest).
func (b Backup) IsFinished() bool { return b.Finished != nil }

// Reason says why a backup is deleted.
type Reason string

// Reasons for deleting a node backup.
const (
	ReasonAge            Reason = "older than max_backup_age"
	ReasonCount          Reason = "beyond the max_backup_count newest complete backups"
	ReasonStale          Reason = "incomplete and older than the grace period"
	ReasonLeftover       Reason = "left over by an interrupted deletion"
	ReasonRequested      Reason = "named by delete-backup"
	ReasonDecommissioned Reason = "its node is not in the cluster"
)

// Decision is a node backup to delete and why.
type Decision struct {
	Backup Backup
	Reason Reason
}

// Policy holds the retention settings of [storage].
type Policy struct {
	// MaxAgeDays is max_backup_age (0: no age rule).
	MaxAgeDays int
	// MaxCount is max_backup_count (0: no count rule).
	MaxCount int
	// GraceDays is backup_grace_period_in_days: how long an unfinished
	// backup may still be running, and how old an unreferenced pool object
	// must be before it is deleted.
	GraceDays int
}

const day = 24 * time.Hour

// graceCutoff returns the epoch at or before which something is older
// than the grace period.
func graceCutoff(now time.Time, graceDays int) int64 {
	return now.Add(-time.Duration(graceDays) * day).Unix()
}

// MayBeRunning reports whether b is unfinished but young enough (started
// within the grace period) to be a backup still uploading. Such a backup
// is never selected by retention, and while one exists the node's
// differential pool is not cleaned (see SelectOrphans).
func MayBeRunning(b Backup, now time.Time, graceDays int) bool {
	return !b.Leftover && !b.IsFinished() && b.Started > graceCutoff(now, graceDays)
}

// SelectRetention picks the node backups `medusa purge` deletes, among
// the backups of one node. Rules, in order:
//
//  1. leftovers of an interrupted deletion are always deleted;
//  2. an unfinished backup started within the grace period may still be
//     running and is always kept;
//  3. with MaxAgeDays > 0, a backup started before now − MaxAgeDays days is
//     deleted (Medusa's rule);
//  4. with MaxCount > 0, the MaxCount complete backups started last are
//     kept and older complete backups deleted; incomplete backups never
//     count toward MaxCount (Medusa counts them, #607, so a few failed
//     backups could leave no complete one), and once older than the grace
//     period (rule 2) they are deleted.
//
// The result is ordered by start, oldest first.
func SelectRetention(backups []Backup, now time.Time, p Policy) []Decision {
	sorted := sortedByStart(backups)
	keepComplete := map[string]bool{}
	if p.MaxCount > 0 {
		var complete []Backup
		for _, b := range sorted {
			if !b.Leftover && b.IsFinished() {
				complete = append(complete, b)
			}
		}
		for _, b := range complete[max(0, len(complete)-p.MaxCount):] {
			keepComplete[b.Name] = true
		}
	}
	ageCutoff := now.Add(-time.Duration(p.MaxAgeDays) * day).Unix()
	var out []Decision
	for _, b := range sorted {
		switch {
		case b.Leftover:
			out = append(out, Decision{b, ReasonLeftover})
		case MayBeRunning(b, now, p.GraceDays):
			// rule 2: keep
		case p.MaxAgeDays > 0 && b.Started < ageCutoff:
			out = append(out, Decision{b, ReasonAge})
		case p.MaxCount > 0 && b.IsFinished() && !keepComplete[b.Name]:
			out = append(out, Decision{b, ReasonCount})
		case p.MaxCount > 0 && !b.IsFinished():
			out = append(out, Decision{b, ReasonStale})
		}
	}
	return out
}

// SelectNames picks the backups of one node named in names (delete-backup),
// plus the node's leftovers. Names the node has no backup of are ignored:
// the caller checks that every name exists somewhere.
func SelectNames(backups []Backup, names []string) []Decision {
	var out []Decision
	for _, b := range sortedByStart(backups) {
		switch {
		case b.Leftover:
			out = append(out, Decision{b, ReasonLeftover})
		case slices.Contains(names, b.Name):
			out = append(out, Decision{b, ReasonRequested})
		}
	}
	return out
}

// SelectAll picks every backup of a node that left the cluster.
func SelectAll(backups []Backup) []Decision {
	var out []Decision
	for _, b := range sortedByStart(backups) {
		r := ReasonDecommissioned
		if b.Leftover {
			r = ReasonLeftover
		}
		out = append(out, Decision{b, r})
	}
	return out
}

// Decommissioned returns the nodes found in the bucket that are not live
// hosts of the cluster (every datacenter), sorted.
func Decommissioned(bucketNodes, liveHosts []string) []string {
	var out []string
	for _, n := range bucketNodes {
		if !slices.Contains(liveHosts, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// sortedByStart returns a copy ordered by start, then name.
func sortedByStart(backups []Backup) []Backup {
	out := slices.Clone(backups)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Started != out[j].Started {
			return out[i].Started < out[j].Started
		}
		return out[i].Name < out[j].Name
	})
	return out
}
