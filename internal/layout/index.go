package layout

import (
	"slices"
	"sort"
)

// NodeBackup is one node's backup as the index describes it.
type NodeBackup struct {
	Name string
	FQDN string
	// Started and Finished are the epochs of the index's started_/finished_
	// entries, nil when the index has none. Medusa then falls back to the
	// LastModified of meta/schema.cql (started) and meta/manifest.json
	// (finished); that lookup is the caller's, which sets these fields.
	Started  *int64
	Finished *int64
	// Differential is set by a differential_ (or legacy incremental_) entry.
	Differential bool
	// The index entries of this node backup ("" when absent).
	TokenmapKey     string
	SchemaKey       string
	ManifestKey     string
	StartedKey      string
	FinishedKey     string
	DifferentialKey string

	// Details the caller loads before rendering status or JSON output:
	// server_version.json (use DefaultServerVersion when it is missing) and,
	// for finished node backups, the manifest's Stats.
	ServerVersion ServerVersion
	Size          int64
	NumObjects    int64
	// Damage is what a check of the data objects against the manifest
	// found, when the caller ran one (status and report-last-backup do).
	Damage DataDamage
	// PITR is the recoverable window of the node (point-in-time restore),
	// when the caller loaded one: rendered as pitr_window in JSON output.
	PITR *PITRWindow
}

// IsFinished reports whether the node backup has a finished time.
func (n NodeBackup) IsFinished() bool { return n.Finished != nil }

// IsDamaged reports whether the node backup finished but a data check
// found objects of its manifest missing or with another size.
func (n NodeBackup) IsDamaged() bool { return n.Finished != nil && n.Damage.Damaged() }

type nodeID struct{ backup, fqdn string }

// NodeBackups builds the node backups described by parsed index entries, as
// Medusa's list_node_backups does: one per tokenmap_ entry (a node backup
// exists in the index iff it has one), with the other entries of the same
// backup and fqdn attached. Entries are taken in key order (the order a
// store lists them); when a kind appears twice for a node the first key
// wins. The result is in tokenmap key order.
//
// Differences from Medusa, all in cases Medusa mishandles: an entry's kind is
// the one its name pattern matched (Medusa looks entries up by substring, so
// a backup or fqdn containing "schema" or "started" confused it), and
// FilterNode matches fqdns exactly (Medusa's "_<fqdn>." substring also
// matched other nodes).
func NodeBackups(entries []IndexEntry) []NodeBackup {
	sorted := slices.Clone(entries)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Key < sorted[j].Key })

	byNode := map[nodeID]map[IndexKind]IndexEntry{}
	for _, e := range sorted {
		id := nodeID{e.Backup, e.FQDN}
		kinds := byNode[id]
		if kinds == nil {
			kinds = map[IndexKind]IndexEntry{}
			byNode[id] = kinds
		}
		if _, seen := kinds[e.Kind]; !seen {
			kinds[e.Kind] = e
		}
	}
	var out []NodeBackup
	for _, e := range sorted {
		if e.Kind != KindTokenmap {
			continue
		}
		kinds := byNode[nodeID{e.Backup, e.FQDN}]
		n := NodeBackup{Name: e.Backup, FQDN: e.FQDN, TokenmapKey: e.Key}
		n.SchemaKey = kinds[KindSchema].Key
		n.ManifestKey = kinds[KindManifest].Key
		if s, ok := kinds[KindStarted]; ok {
			n.StartedKey, n.Started = s.Key, &s.Epoch
		}
		if f, ok := kinds[KindFinished]; ok {
			n.FinishedKey, n.Finished = f.Key, &f.Epoch
		}
		d, ok := kinds[KindDifferential]
		if !ok {
			d, ok = kinds[KindIncremental]
		}
		n.Differential, n.DifferentialKey = ok, d.Key
		out = append(out, n)
	}
	return out
}

// ClusterBackups groups node backups by backup name like Medusa's
// list_cluster_backups: node backups without a start time are dropped, the
// rest ordered by (name, start) keeping the input order on ties, so the
// first node backup of each group (whose tokenmap and type describe the
// cluster backup) is the earliest started, then the first in tokenmap key
// order. A node listed twice in a group keeps its first position and its
// last value. The result is ordered by name; Tokenmap is left nil for the
// caller to load (the index's TokenmapKey of Nodes[0]).
//
// Medusa only keeps node backups whose meta/schema.cql still exists; that
// check (and the removal of stale index entries) is the caller's.
func ClusterBackups(nodes []NodeBackup) []ClusterBackup {
	var started []NodeBackup
	for _, n := range nodes {
		if n.Started != nil {
			started = append(started, n)
		}
	}
	sort.SliceStable(started, func(i, j int) bool {
		a, b := started[i], started[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return *a.Started < *b.Started
	})
	var out []ClusterBackup
	pos := map[string]int{}
	for _, n := range started {
		if len(out) == 0 || out[len(out)-1].Name != n.Name {
			out = append(out, ClusterBackup{Name: n.Name})
			clear(pos)
		}
		c := &out[len(out)-1]
		if i, dup := pos[n.FQDN]; dup {
			c.Nodes[i] = n
			continue
		}
		pos[n.FQDN] = len(c.Nodes)
		c.Nodes = append(c.Nodes, n)
	}
	return out
}

// ClusterBackup is the set of node backups sharing a backup name.
type ClusterBackup struct {
	Name string
	// Nodes are the node backups, in the order ClusterBackups gives them;
	// Nodes[0] is the first node backup.
	Nodes []NodeBackup
	// Tokenmap is the tokenmap of Nodes[0], loaded by the caller. A nil
	// tokenmap counts as empty: such a backup is never complete.
	Tokenmap *Tokenmap
}

// First returns the first node backup (zero value if there is none).
func (c ClusterBackup) First() NodeBackup {
	if len(c.Nodes) == 0 {
		return NodeBackup{}
	}
	return c.Nodes[0]
}

// Node returns the node backup of fqdn.
func (c ClusterBackup) Node(fqdn string) (NodeBackup, bool) {
	for _, n := range c.Nodes {
		if n.FQDN == fqdn {
			return n, true
		}
	}
	return NodeBackup{}, false
}

// Started returns the earliest start of its node backups (0 if none has one).
func (c ClusterBackup) Started() int64 {
	var min int64
	found := false
	for _, n := range c.Nodes {
		if n.Started != nil && (!found || *n.Started < min) {
			min, found = *n.Started, true
		}
	}
	return min
}

// Finished returns the latest finish of its node backups if the cluster
// backup is complete, else nil.
func (c ClusterBackup) Finished() *int64 {
	if !c.IsComplete() {
		return nil
	}
	return c.LastFinish()
}

// LastFinish returns the latest finish of its node backups when every
// node of the tokenmap finished, damaged or not; else nil.
func (c ClusterBackup) LastFinish() *int64 {
	if !c.allFinished() {
		return nil
	}
	var max int64
	for i, n := range c.Nodes {
		if i == 0 || *n.Finished > max {
			max = *n.Finished
		}
	}
	return &max
}

// IsComplete reports whether the tokenmap names at least one host, every
// host has a node backup, every node backup finished and none was found
// damaged.
func (c ClusterBackup) IsComplete() bool {
	return c.allFinished() && len(c.DamagedNodes()) == 0
}

// IsDamaged reports whether a data check found a node backup damaged.
func (c ClusterBackup) IsDamaged() bool { return len(c.DamagedNodes()) > 0 }

// allFinished reports whether the tokenmap names at least one host, every
// host has a node backup, and every node backup finished.
func (c ClusterBackup) allFinished() bool {
	if c.Tokenmap.Len() == 0 || len(c.MissingNodes()) > 0 {
		return false
	}
	for _, n := range c.Nodes {
		if n.Finished == nil {
			return false
		}
	}
	return true
}

// MissingNodes returns the tokenmap hosts without a node backup, in
// tokenmap order (Medusa returns them as an unordered set).
func (c ClusterBackup) MissingNodes() []string {
	var out []string
	for _, h := range c.Tokenmap.HostNames() {
		if _, ok := c.Node(h); !ok {
			out = append(out, h)
		}
	}
	return out
}

// CompleteNodes returns the finished node backups not found damaged.
func (c ClusterBackup) CompleteNodes() []NodeBackup {
	return slices.DeleteFunc(c.finishedNodes(), NodeBackup.IsDamaged)
}

// DamagedNodes returns the finished node backups a data check found
// damaged.
func (c ClusterBackup) DamagedNodes() []NodeBackup {
	return slices.DeleteFunc(c.finishedNodes(), func(n NodeBackup) bool { return !n.IsDamaged() })
}

// finishedNodes returns the finished node backups, damaged or not.
func (c ClusterBackup) finishedNodes() []NodeBackup {
	return slices.DeleteFunc(slices.Clone(c.Nodes), func(n NodeBackup) bool { return n.Finished == nil })
}

// IncompleteNodes returns the node backups that did not finish.
func (c ClusterBackup) IncompleteNodes() []NodeBackup {
	return slices.DeleteFunc(slices.Clone(c.Nodes), func(n NodeBackup) bool { return n.Finished != nil })
}

// Size returns the total manifest size of the finished node backups.
func (c ClusterBackup) Size() int64 {
	var s int64
	for _, n := range c.finishedNodes() {
		s += n.Size
	}
	return s
}

// NumObjects returns the number of manifest objects of the finished node
// backups.
func (c ClusterBackup) NumObjects() int64 {
	var s int64
	for _, n := range c.finishedNodes() {
		s += n.NumObjects
	}
	return s
}

// BackupType returns "differential" or "full", from the first node backup.
func (c ClusterBackup) BackupType() string {
	if c.First().Differential {
		return "differential"
	}
	return "full"
}

// ListBackups returns the cluster backups list-backups shows: ordered by
// start (stable), and unless showAll only those with a node backup of fqdn.
func ListBackups(backups []ClusterBackup, fqdn string, showAll bool) []ClusterBackup {
	out := slices.Clone(backups)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Started() < out[j].Started() })
	if !showAll {
		out = slices.DeleteFunc(out, func(c ClusterBackup) bool { _, ok := c.Node(fqdn); return !ok })
	}
	return out
}

// LatestClusterBackup returns the cluster backup started last (the first of
// them on ties), complete or not.
func LatestClusterBackup(backups []ClusterBackup) (ClusterBackup, bool) {
	best := -1
	for i, c := range backups {
		if best < 0 || c.Started() > backups[best].Started() {
			best = i
		}
	}
	if best < 0 {
		return ClusterBackup{}, false
	}
	return backups[best], true
}

// LatestCompleteClusterBackup returns the complete cluster backup that
// finished last (the first of them on ties).
func LatestCompleteClusterBackup(backups []ClusterBackup) (ClusterBackup, bool) {
	best, bestFinished := -1, int64(0)
	for i, c := range backups {
		if f := c.Finished(); f != nil && (best < 0 || *f > bestFinished) {
			best, bestFinished = i, *f
		}
	}
	if best < 0 {
		return ClusterBackup{}, false
	}
	return backups[best], true
}

// FindClusterBackup returns the cluster backup named name.
func FindClusterBackup(backups []ClusterBackup, name string) (ClusterBackup, bool) {
	for _, c := range backups {
		if c.Name == name {
			return c, true
		}
	}
	return ClusterBackup{}, false
}

// NodeIndexKeys returns every index key of the node backup name/fqdn among
// entries (exact fqdn match, all kinds, duplicates included), in key order:
// what deleting the node backup from the index removes.
func NodeIndexKeys(entries []IndexEntry, backup, fqdn string) []string {
	var out []string
	for _, e := range entries {
		if e.Backup == backup && e.FQDN == fqdn {
			out = append(out, e.Key)
		}
	}
	slices.Sort(out)
	return out
}
