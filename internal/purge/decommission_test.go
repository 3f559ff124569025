package purge_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/purge"
	"github.com/medusa-go/medusa/internal/testbed"
)

// decommissionFixture: nodes of two datacenters, two of them gone (one
// with backups, one with only pool files and markers left), and another
// tenant's objects in the same bucket.
func decommissionFixture(t *testing.T, prefix string) *fx {
	f := testbed.NewLocalBucket(t, prefix)
	live := []string{"dc1-a", "dc1-b", "dc2-a", "dc2-b"}
	for _, n := range append(slices.Clone(live), "dc1-old", "dc2-old") {
		f.Backup(testbed.NodeBackupSpec{FQDN: n, Name: "c1", Started: testbed.DaysAgo(30), Finished: true, Files: []string{"ks/t-1/f1"},
			Hosts: []string{"dc1-a", "dc1-b", "dc1-old"}})
	}
	f.Backup(testbed.NodeBackupSpec{FQDN: "dc2-old", Name: "c2", Started: testbed.DaysAgo(20), Finished: true, Full: true,
		Files: []string{"ks/t-1/f2"}})
	f.Put(f.Pool("gone", "ks/t-1/f9"), []byte("pool only"), testbed.DaysAgo(30))
	f.Put(f.L.LatestBackupNameKey("gone"), []byte("c0"), testbed.DaysAgo(30))
	f.Put(f.Pool("dc1-old", "ks/t-1/young"), []byte("young"), testbed.DaysAgo(1))
	// Another tenant, with a node named like a decommissioned one.
	f.Put("other/dc1-old/c1/meta/schema.cql", []byte("x"), testbed.DaysAgo(30))
	f.Put("other/dc1-old/data/ks/t-1/f1", []byte("x"), testbed.DaysAgo(30))
	f.Put("other/index/backup_index/c1/tokenmap_dc1-old.json", []byte("{}"), testbed.DaysAgo(30))
	return f
}

func allKeys(f *fx) []string {
	saved := f.L
	defer func() { f.L = saved }()
	f.L = layout.New("")
	return f.Keys()
}

func TestPurgeDecommissioned(t *testing.T) {
	t.Parallel()
	live := []string{"dc1-a", "dc1-b", "dc2-a", "dc2-b"}
	for _, prefix := range []string{"", "tenant"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			f := decommissionFixture(t, prefix)
			before := allKeys(f)
			dry, err := executor(f, true).PurgeDecommissioned(t.Context(), "dc1-a", live)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(before, allKeys(f)) {
				t.Fatal("dry run changed the bucket")
			}
			sum, err := executor(f, false).PurgeDecommissioned(t.Context(), "dc1-a", live)
			if err != nil {
				t.Fatal(err)
			}
			var nodes []string
			for _, r := range sum.Nodes {
				nodes = append(nodes, r.FQDN)
			}
			if !slices.Equal(nodes, []string{"dc1-old", "dc2-old", "gone"}) || sum.Backups() != 3 {
				t.Errorf("purged nodes %v, %d backups", nodes, sum.Backups())
			}
			do, db := dry.Deleted()
			if ro, rb := sum.Deleted(); do != ro || db != rb || dry.Backups() != sum.Backups() {
				t.Errorf("dry run predicted %d objects/%d bytes, the run deleted %d/%d", do, db, ro, rb)
			}
			after := allKeys(f)
			for _, k := range before {
				rel := strings.TrimPrefix(k, f.L.KeyPrefix())
				gone := !slices.Contains(after, k)
				wantGone := strings.HasPrefix(k, f.L.KeyPrefix()) &&
					(strings.HasPrefix(rel, "dc1-old/") || strings.HasPrefix(rel, "dc2-old/") ||
						strings.HasPrefix(rel, "gone/") || strings.Contains(rel, "_dc1-old") ||
						strings.Contains(rel, "_dc2-old") || strings.Contains(rel, "latest_backup/dc1-old/") ||
						strings.Contains(rel, "latest_backup/dc2-old/") || strings.Contains(rel, "latest_backup/gone/")) &&
					!strings.HasSuffix(rel, "/young")
				if prefix == "" && strings.HasPrefix(k, "other/") {
					wantGone = false
				}
				if gone != wantGone {
					t.Errorf("%s: deleted %v, want %v", k, gone, wantGone)
				}
			}
			if sum.WithinGrace() != 1 {
				t.Errorf("within grace: %d", sum.WithinGrace())
			}
		})
	}
}

func TestPurgeDecommissionedRefuses(t *testing.T) {
	t.Parallel()
	f := decommissionFixture(t, "p")
	before := f.Keys()
	for _, live := range [][]string{nil, {"10.0.0.1", "10.0.0.2"}} {
		_, err := executor(f, false).PurgeDecommissioned(t.Context(), "dc1-a", live)
		if !errors.Is(err, purge.ErrUnsafe) {
			t.Errorf("live %v: %v", live, err)
		}
	}
	if !slices.Equal(before, f.Keys()) {
		t.Error("a refused run changed the bucket")
	}
}
