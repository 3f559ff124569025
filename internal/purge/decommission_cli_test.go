package purge_test

import (
	"slices"
	"strings"
	"testing"
)

// TestPurgeDecommissionedCommand runs `medusa purge-decommissioned`
// against the real node (its live hosts come from CQL): with a prefix on
// S3 (as the restricted user) and without one on local storage, next to
// another tenant's objects. Nodes of a second datacenter that is not in
// the cluster, and a gone node of the first, lose everything; the live
// node keeps its backup, which still verifies.
func TestPurgeDecommissionedCommand(t *testing.T) {
	n := testNode(t)
	for i, open := range targets(t) {
		tg := open(t)
		prefix := []string{"", "tenant"}[i%2]
		t.Run(tg.name+"/prefix="+prefix, func(t *testing.T) {
			m := newMedusa(t, tg, n, prefix, nil)
			f := newFxOn(t, tg.b, tg.root, prefix)
			changeData(t, n, 20, false)
			m.must("backup", "--backup-name", "p1")
			gone := []string{"127.0.0.9", "10.2.0.1", "10.2.0.2"}
			for _, g := range gone {
				f.backup(spec{fqdn: g, name: "p0", started: daysAgo(30), finished: true,
					files: []string{"ks/t-1/a", "ks/t-1/b"}, hosts: []string{n.Host, g}})
			}
			other := newFxOn(t, tg.b, tg.root, "other")
			other.backup(spec{fqdn: "127.0.0.9", name: "p0", started: daysAgo(30), finished: true,
				files: []string{"ks/t-1/a"}})
			otherKeys := other.keys()
			live := liveKeys(f, n.Host)

			before := f.keys()
			out := m.must("purge-decommissioned", "--dry-run")
			if !slices.Equal(before, f.keys()) {
				t.Fatal("--dry-run changed the bucket")
			}
			for _, g := range gone {
				if !strings.Contains(out, "backup p0 of "+g+" would be deleted") {
					t.Errorf("dry run does not announce %s:\n%s", g, out)
				}
			}
			out = m.must("purge-decommissioned")
			if !strings.Contains(out, "Backups purged: 3") {
				t.Errorf("output:\n%s", out)
			}
			for _, k := range f.keys() {
				if strings.HasPrefix(k, "other/") {
					continue // checked below
				}
				for _, g := range gone {
					if strings.Contains(k, g) {
						t.Errorf("%s of decommissioned node %s is left", k, g)
					}
				}
			}
			if got := liveKeys(f, n.Host); !slices.Equal(got, live) {
				t.Errorf("the live node's objects changed: %d before, %d after", len(live), len(got))
			}
			if got := other.keys(); !slices.Equal(got, otherKeys) {
				t.Errorf("the other tenant's objects changed:\n%v\nwant\n%v", got, otherKeys)
			}
			m.must("verify", "--backup-name", "p1")

			// A node whose fqdn does not match the cluster's host names
			// refuses: every node would look decommissioned.
			wrong := newMedusa(t, tg, n, prefix, map[string]string{"fqdn": "node1.example.com"})
			if out, code := wrong.run("purge-decommissioned"); code != 1 || !strings.Contains(out, "not among the cluster's hosts") {
				t.Errorf("purge-decommissioned with a mismatched fqdn exited %d:\n%s", code, out)
			}
		})
	}
}

// liveKeys returns the keys of fqdn's objects and index entries.
func liveKeys(f *fx, fqdn string) []string {
	var out []string
	for _, k := range f.keys() {
		if strings.HasPrefix(k, f.l.NodePrefix(fqdn)) || strings.Contains(k, "_"+fqdn) ||
			strings.Contains(k, "latest_backup/"+fqdn+"/") {
			out = append(out, k)
		}
	}
	return out
}
