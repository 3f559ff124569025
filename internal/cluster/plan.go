package cluster

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Mode is how restore-cluster puts a backup onto the target nodes.
type Mode string

const (
	// ModeInPlace restores every node's own backup onto it (the targets
	// are the backed-up nodes).
	ModeInPlace Mode = "in-place"
	// ModeRemote copies each source node's files onto one target node of
	// another cluster with the same shape, pinning the source's tokens.
	ModeRemote Mode = "remote"
	// ModeLoader streams the sources into the running target cluster with
	// sstableloader (any topology).
	ModeLoader Mode = "sstableloader"
)

// Assignment is what one target node does: restore Sources (one in the
// file modes, any number with sstableloader).
type Assignment struct {
	Target  string
	Sources []string
	Seed    bool
	Bytes   int64 // backup bytes of the sources (manifests)
}

// Plan is a restore-cluster decided before anything changes.
type Plan struct {
	Backup string
	Mode   Mode
	// Why explains the mode (e.g. why sstableloader was chosen).
	Why string
	// Assignments, seeds first, then by target name.
	Assignments []Assignment
	// NotRestored are backup nodes without a finished node backup (only
	// with --allow-incomplete).
	NotRestored []string
}

// Targets returns the target hosts in plan order (seeds first).
func (p *Plan) Targets() []string {
	out := make([]string, len(p.Assignments))
	for i, a := range p.Assignments {
		out[i] = a.Target
	}
	return out
}

// Seeds returns the seed targets.
func (p *Plan) Seeds() []string {
	var out []string
	for _, a := range p.Assignments {
		if a.Seed {
			out = append(out, a.Target)
		}
	}
	return out
}

// sortNodes orders nodes as SortNodes does, or with ignoreRacks by first
// token (then host) alone.
func sortNodes(nodes []Node, ignoreRacks bool) []Node {
	out := append([]Node(nil), nodes...)
	if !ignoreRacks {
		SortNodes(out)
		return out
	}
	sort.SliceStable(out, func(i, j int) bool {
		if c := compareTokens(out[i].FirstToken(), out[j].FirstToken()); c != 0 {
			return c < 0
		}
		return out[i].Host < out[j].Host
	})
	return out
}

// groupSizes counts nodes per (dc, rack), in sorted group order.
func groupSizes(sorted []Node) []string {
	var out []string
	for i := 0; i < len(sorted); {
		j := i
		for j < len(sorted) && sorted[j].DC == sorted[i].DC && sorted[j].Rack == sorted[i].Rack {
			j++
		}
		out = append(out, fmt.Sprintf("%d", j-i))
		i = j
	}
	return out
}

// MapSameTopology maps every backup node onto one target node when both
// clusters have the same shape: equal node counts, equal tokens per node
// and, unless ignoreRacks, equal node counts per (dc, rack) group taken in
// sorted order. Both sides are sorted by (dc, rack, first token), or by
// first token alone with ignoreRacks, and the j-th backup node maps to the
// j-th target node. The error says why the shapes differ.
func MapSameTopology(backup, targets []Node, ignoreRacks bool) (map[string]string, error) {
	if len(backup) != len(targets) {
		return nil, fmt.Errorf("the backup has %d nodes, the target cluster %d", len(backup), len(targets))
	}
	if len(backup) == 0 {
		return nil, errors.New("the backup's token map has no node")
	}
	want := len(backup[0].Tokens)
	for _, side := range [][]Node{backup, targets} {
		for _, n := range side {
			if len(n.Tokens) != want {
				return nil, fmt.Errorf("node %s has %d tokens, %s has %d (tokens per node differ)",
					n.Host, len(n.Tokens), backup[0].Host, want)
			}
		}
	}
	bs, ts := sortNodes(backup, ignoreRacks), sortNodes(targets, ignoreRacks)
	if !ignoreRacks {
		gb, gt := groupSizes(bs), groupSizes(ts)
		if strings.Join(gb, ",") != strings.Join(gt, ",") {
			return nil, fmt.Errorf("nodes per rack differ: backup %s, target %s (--ignore-racks maps by token order alone)",
				describeGroups(bs), describeGroups(ts))
		}
	}
	m := make(map[string]string, len(bs))
	for i := range bs {
		m[bs[i].Host] = ts[i].Host
	}
	return m, nil
}

// describeGroups renders "dc1/rack1:2 dc1/rack2:1".
func describeGroups(sorted []Node) string {
	var parts []string
	for i := 0; i < len(sorted); {
		j := i
		for j < len(sorted) && sorted[j].DC == sorted[i].DC && sorted[j].Rack == sorted[i].Rack {
			j++
		}
		parts = append(parts, fmt.Sprintf("%s/%s:%d", sorted[i].DC, sorted[i].Rack, j-i))
		i = j
	}
	return strings.Join(parts, " ")
}

// Source is one backed-up node with its backup's size.
type Source struct {
	Host  string
	Bytes int64
}

// SpreadSources assigns every source to one target, balancing bytes: the
// largest source first (ties by name) goes to the target with the fewest
// bytes so far (ties in the order of targets). The result is the same for
// the same input, and every target gets work while there are sources left.
func SpreadSources(sources []Source, targets []string) map[string][]string {
	ss := append([]Source(nil), sources...)
	sort.Slice(ss, func(i, j int) bool {
		if ss[i].Bytes != ss[j].Bytes {
			return ss[i].Bytes > ss[j].Bytes
		}
		return ss[i].Host < ss[j].Host
	})
	load := make([]int64, len(targets))
	count := make([]int, len(targets))
	out := make(map[string][]string, len(targets))
	for _, s := range ss {
		best := 0
		for i := range targets {
			if load[i] < load[best] || load[i] == load[best] && count[i] < count[best] {
				best = i
			}
		}
		load[best] += s.Bytes
		count[best]++
		out[targets[best]] = append(out[targets[best]], s.Host)
	}
	for t := range out {
		sort.Strings(out[t])
	}
	return out
}

// sortAssignments puts seeds first, then orders by target name.
func sortAssignments(as []Assignment) {
	sort.SliceStable(as, func(i, j int) bool {
		if as[i].Seed != as[j].Seed {
			return as[i].Seed
		}
		return as[i].Target < as[j].Target
	})
}

// markSeeds sets Seed on the assignments whose target is in seeds. When
// none is (seeds unknown, or named otherwise than the targets), no target
// waits for another: every node starts at once, as Cassandra's seeds are
// among them anyway. It returns a note for that case.
func markSeeds(as []Assignment, seeds []string) string {
	set := map[string]bool{}
	for _, s := range seeds {
		set[s] = true
	}
	any := false
	for i := range as {
		as[i].Seed = set[as[i].Target]
		any = any || as[i].Seed
	}
	if any || len(as) == 0 {
		return ""
	}
	if len(seeds) == 0 {
		return "no seed known (no cassandra.yaml here, no is_seed in the host list): every node starts at once"
	}
	return fmt.Sprintf("no target is in the seed list %v: every node starts at once", seeds)
}
