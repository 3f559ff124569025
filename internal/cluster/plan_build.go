package cluster

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// PlanInput is everything a restore-cluster plan is made from; BuildPlan
// does no I/O.
type PlanInput struct {
	Backup string
	// BackupNodes are the backup's token map (every node backed up).
	BackupNodes []Node
	// Finished maps each node with a finished node backup to its bytes.
	Finished map[string]int64
	// Targets is the target cluster read over CQL (--seed-target mode);
	// HostList the --host-list lines (then Targets is not used).
	Targets  []Node
	HostList []HostListEntry
	// Seeds are the target cluster's seeds (cassandra.yaml); ignored with
	// a host list, whose lines say which targets are seeds.
	Seeds            []string
	UseSSTableLoader bool
	IgnoreRacks      bool
	// AllowIncomplete restores the finished node backups of a backup
	// that lacks some (refused otherwise).
	AllowIncomplete bool
}

// BuildPlan decides the mode and which target restores which source.
//
//   - A backup missing node backups is refused (naming them) unless
//     AllowIncomplete.
//   - With a host list: the file's mapping, remote file copy (or
//     sstableloader with UseSSTableLoader); every source must have a
//     finished backup.
//   - Else, when the target nodes are the backed-up nodes: in place.
//   - Else, same shape (MapSameTopology): remote file copy, tokens pinned.
//   - Else, or with UseSSTableLoader: sstableloader, sources spread by
//     bytes over the targets, which must all be up.
func BuildPlan(in PlanInput) (*Plan, error) {
	p := &Plan{Backup: in.Backup}
	if err := checkComplete(in, p); err != nil {
		return nil, err
	}
	bytesOf := func(hosts ...string) (n int64) {
		for _, h := range hosts {
			n += in.Finished[h]
		}
		return n
	}
	if len(in.HostList) > 0 {
		return planHostList(in, p, bytesOf)
	}
	if len(in.Targets) == 0 {
		return nil, errors.New("the target cluster has no node")
	}
	backupHosts, targetHosts := hostSet(in.BackupNodes), hostSet(in.Targets)
	same, overlap := equalSets(backupHosts, targetHosts)
	var note string
	switch {
	case same && !in.UseSSTableLoader:
		p.Mode, p.Why = ModeInPlace, "the target nodes are the backed-up nodes"
		for _, n := range sortNodes(in.BackupNodes, false) {
			if _, ok := in.Finished[n.Host]; ok {
				p.Assignments = append(p.Assignments, Assignment{Target: n.Host, Sources: []string{n.Host}, Bytes: bytesOf(n.Host)})
			}
		}
	case len(overlap) > 0 && !in.UseSSTableLoader:
		return nil, fmt.Errorf("the target cluster shares nodes %s with the backup but is not the same set of nodes "+
			"(backup: %s; target: %s): restore in place onto the backed-up nodes, or map nodes with --host-list",
			strings.Join(overlap, ", "), strings.Join(backupHosts, ", "), strings.Join(targetHosts, ", "))
	default:
		var m map[string]string
		var err error
		if !in.UseSSTableLoader {
			m, err = MapSameTopology(in.BackupNodes, in.Targets, in.IgnoreRacks)
		}
		if err == nil && m != nil {
			p.Mode, p.Why = ModeRemote, "the target cluster has the backup's shape (nodes per rack, tokens per node)"
			for _, b := range sortNodes(in.BackupNodes, in.IgnoreRacks) {
				if _, ok := in.Finished[b.Host]; ok {
					p.Assignments = append(p.Assignments, Assignment{Target: m[b.Host], Sources: []string{b.Host}, Bytes: bytesOf(b.Host)})
				}
			}
			break
		}
		p.Mode = ModeLoader
		if in.UseSSTableLoader {
			p.Why = "--use-sstableloader"
		} else {
			p.Why = "the topologies differ: " + err.Error()
		}
		if err := planLoader(in, p, bytesOf); err != nil {
			return nil, err
		}
	}
	if p.Mode != ModeLoader {
		note = markSeeds(p.Assignments, in.Seeds)
	}
	if note != "" {
		p.Why += "; " + note
	}
	sortAssignments(p.Assignments)
	return p, nil
}

// checkComplete refuses a backup missing node backups unless allowed,
// recording the nodes left out.
func checkComplete(in PlanInput, p *Plan) error {
	if len(in.BackupNodes) == 0 {
		return fmt.Errorf("backup %s has no token map: it cannot be restored as a cluster", in.Backup)
	}
	var missing []string
	for _, n := range in.BackupNodes {
		if _, ok := in.Finished[n.Host]; !ok {
			missing = append(missing, n.Host)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 && !in.AllowIncomplete {
		return fmt.Errorf("backup %s is incomplete: %d of %d nodes have no finished backup (%s); "+
			"pass --allow-incomplete to restore the others", in.Backup, len(missing), len(in.BackupNodes), strings.Join(missing, ", "))
	}
	if len(missing) == len(in.BackupNodes) {
		return fmt.Errorf("backup %s has no finished node backup", in.Backup)
	}
	p.NotRestored = missing
	return nil
}

func planHostList(in PlanInput, p *Plan, bytesOf func(...string) int64) (*Plan, error) {
	p.Mode, p.Why = ModeRemote, "--host-list"
	if in.UseSSTableLoader {
		p.Mode, p.Why = ModeLoader, "--host-list with --use-sstableloader"
	}
	var errs []string
	for _, e := range in.HostList {
		if _, ok := in.Finished[e.Source]; !ok {
			why := "not in the backup"
			for _, n := range in.BackupNodes {
				if n.Host == e.Source {
					why = "its node backup did not finish"
				}
			}
			errs = append(errs, fmt.Sprintf("line %d: source %s: %s", e.Line, e.Source, why))
			continue
		}
		p.Assignments = append(p.Assignments, Assignment{Target: e.Target, Sources: []string{e.Source}, Seed: e.Seed, Bytes: bytesOf(e.Source)})
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("host list does not match backup %s (its nodes: %s):\n  %s",
			in.Backup, strings.Join(hostSet(in.BackupNodes), ", "), strings.Join(errs, "\n  "))
	}
	if len(p.Seeds()) == 0 && p.Mode != ModeLoader {
		p.Why += "; " + markSeeds(p.Assignments, nil)
	}
	sortAssignments(p.Assignments)
	return p, nil
}

func planLoader(in PlanInput, p *Plan, bytesOf func(...string) int64) error {
	var down []string
	var targets []string
	for _, t := range sortNodes(in.Targets, false) {
		targets = append(targets, t.Host)
		if !t.Up {
			down = append(down, t.Host)
		}
	}
	if len(down) > 0 {
		return fmt.Errorf("sstableloader mode needs every target node up; down: %s", strings.Join(down, ", "))
	}
	sort.Strings(targets)
	var sources []Source
	for _, n := range in.BackupNodes {
		if b, ok := in.Finished[n.Host]; ok {
			sources = append(sources, Source{Host: n.Host, Bytes: b})
		}
	}
	spread := SpreadSources(sources, targets)
	for _, t := range targets {
		if s := spread[t]; len(s) > 0 {
			p.Assignments = append(p.Assignments, Assignment{Target: t, Sources: s, Bytes: bytesOf(s...)})
		}
	}
	return nil
}

func hostSet(nodes []Node) []string {
	out := make([]string, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, n.Host)
	}
	sort.Strings(out)
	return out
}

// equalSets reports whether the sorted sets a and b are equal, and their
// common elements.
func equalSets(a, b []string) (bool, []string) {
	in := map[string]bool{}
	for _, x := range a {
		in[x] = true
	}
	var common []string
	for _, x := range b {
		if in[x] {
			common = append(common, x)
		}
	}
	return len(a) == len(b) && len(common) == len(a), common
}
