package e2e

import (
	"slices"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/testbed"
)

// TestPurgeDecommissionedCommand runs `medusa purge-decommissioned`
// against the real node (its live hosts come from CQL): with a prefix on
// S3 (as the restricted user) and without one on local storage, next to
// another tenant's objects. Nodes of a second datacenter that is not in
// the cluster, and a gone node of the first, lose everything; the live
// node keeps its backup, which still verifies.
func TestPurgeDecommissionedCommand(t *testing.T) {
	n := testNode(t)
	for i, open := range purgeTargets(t) {
		tg := open(t)
		prefix := []string{"", "tenant"}[i%2]
		t.Run(tg.name+"/prefix="+prefix, func(t *testing.T) {
			m := newPurgeMedusa(t, tg, n, prefix, nil)
			f := testbed.NewBucket(t, tg.b, tg.root, prefix)
			changeData(t, n, 20, false)
			m.must("backup", "--backup-name", "p1")
			gone := []string{"127.0.0.9", "10.2.0.1", "10.2.0.2"}
			for _, g := range gone {
				f.Backup(testbed.NodeBackupSpec{FQDN: g, Name: "p0", Started: testbed.DaysAgo(30), Finished: true,
					Files: []string{"ks/t-1/a", "ks/t-1/b"}, Hosts: []string{n.Host, g}})
			}
			other := testbed.NewBucket(t, tg.b, tg.root, "other")
			other.Backup(testbed.NodeBackupSpec{FQDN: "127.0.0.9", Name: "p0", Started: testbed.DaysAgo(30), Finished: true,
				Files: []string{"ks/t-1/a"}})
			otherKeys := other.Keys()
			live := liveKeys(f, n.Host)

			before := f.Keys()
			out := m.must("purge-decommissioned", "--dry-run")
			if !slices.Equal(before, f.Keys()) {
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
			for _, k := range f.Keys() {
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
			if got := other.Keys(); !slices.Equal(got, otherKeys) {
				t.Errorf("the other tenant's objects changed:\n%v\nwant\n%v", got, otherKeys)
			}
			m.must("verify", "--backup-name", "p1")

			// A node whose fqdn does not match the cluster's host names
			// refuses: every node would look decommissioned.
			wrong := newPurgeMedusa(t, tg, n, prefix, map[string]string{"fqdn": "node1.example.com"})
			if out, code := wrong.run("purge-decommissioned"); code != 1 || !strings.Contains(out, "not among the cluster's hosts") {
				t.Errorf("purge-decommissioned with a mismatched fqdn exited %d:\n%s", code, out)
			}
		})
	}
}

// liveKeys returns the keys of fqdn's objects and index entries.
func liveKeys(f *testbed.Bucket, fqdn string) []string {
	var out []string
	for _, k := range f.Keys() {
		if strings.HasPrefix(k, f.L.NodePrefix(fqdn)) || strings.Contains(k, "_"+fqdn) ||
			strings.Contains(k, "latest_backup/"+fqdn+"/") {
			out = append(out, k)
		}
	}
	return out
}
