package e2e

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/testbed"
)

// TestPurgeRetentionScenario: five differential backups of the real node with
// data changing (and compactions) between them; purge with
// max_backup_count = 2 removes the three oldest; both remaining backups
// verify, the files only the purged backups used are gone, and the bucket
// holds exactly the remaining backups' meta, index and manifest files.
func TestPurgeRetentionScenario(t *testing.T) {
	n := testNode(t)
	for _, open := range purgeTargets(t) {
		tg := open(t)
		t.Run(tg.name, func(t *testing.T) {
			prefix := "tenant-" + tg.name
			m := newPurgeMedusa(t, tg, n, prefix, map[string]string{"max_backup_count": "2"})
			f := testbed.NewBucket(t, tg.b, tg.root, prefix)
			names := []string{"d1", "d2", "d3", "d4", "d5"}
			sums := map[string]map[string]string{}
			for i, name := range names {
				changeData(t, n, 40, i == 2 || i == 3)
				m.must("backup", "--backup-name", name)
				sums[name] = testbed.FixtureChecksums(t, n)
			}
			used := map[string]map[string]int64{}
			for _, name := range names {
				used[name] = paths(manifestOf(t, f, n.Host, name))
			}
			onlyPurged := map[string]bool{}
			for _, name := range names[:3] {
				for p := range used[name] {
					if _, ok := used["d4"][p]; !ok {
						if _, ok := used["d5"][p]; !ok {
							onlyPurged[p] = true
						}
					}
				}
			}
			if len(onlyPurged) == 0 {
				t.Fatal("no file is used only by d1..d3: the scenario does not exercise the pool clean-up")
			}

			before := f.Keys()
			out := m.must("--backup-grace-period-in-days", "0", "purge", "--dry-run")
			if !slices.Equal(before, f.Keys()) {
				t.Fatal("purge --dry-run changed the bucket")
			}
			for _, want := range []string{"Dry run", "backup d1 of " + n.Host + " would be deleted",
				"Backups that would be purged: 3"} {
				if !strings.Contains(out, want) {
					t.Errorf("dry-run output lacks %q:\n%s", want, out)
				}
			}
			out = m.must("--backup-grace-period-in-days", "0", "purge")
			if !strings.Contains(out, "Backups purged: 3") {
				t.Errorf("purge output:\n%s", out)
			}
			list := m.must("list-backups")
			for _, name := range names {
				if got, want := strings.Contains(list, name+" (started"), name >= "d4"; got != want {
					t.Errorf("list-backups shows %s: %v, want %v:\n%s", name, got, want, list)
				}
			}
			for _, name := range names[3:] {
				if out := m.must("verify", "--backup-name", name); !strings.Contains(out, "Manifest validated: OK!!") {
					t.Errorf("verify %s:\n%s", name, out)
				}
			}
			for p := range onlyPurged {
				if f.Exists(p) {
					t.Errorf("%s, used only by purged backups, still exists", p)
				}
			}
			checkBucketMatches(t, f, n.Host, []string{"d4", "d5"}, used)
			if tg.name != "s3" {
				return // each restore restarts the node: done on S3 only
			}
			for _, name := range names[3:] {
				out := m.must("restore-node", "--backup-name", name, "--temp-dir", t.TempDir())
				if !strings.Contains(out, "Restore done") {
					t.Errorf("restore-node %s:\n%s", name, out)
				}
				if got := testbed.FixtureChecksums(t, n); !maps.Equal(got, sums[name]) {
					t.Errorf("after restoring %s the tables differ from when it was taken:\n%v\nwant\n%v", name, got, sums[name])
				}
			}
		})
	}
}

// checkBucketMatches: the bucket holds exactly the meta files and index
// entries of the remaining backups, the latest markers, and in the pool
// exactly the objects their manifests name, with those sizes.
func checkBucketMatches(t *testing.T, f *testbed.Bucket, fqdn string, remaining []string, used map[string]map[string]int64) {
	t.Helper()
	want := map[string]int64{}
	for _, name := range remaining {
		for p, size := range used[name] {
			want[p] = size
		}
	}
	var poolBytes, wantBytes int64
	for _, size := range want {
		wantBytes += size
	}
	pool := 0
	for o, err := range f.B.List(t.Context(), f.L.KeyPrefix()) {
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasPrefix(o.Key, f.L.PoolPrefix(fqdn)):
			size, ok := want[o.Key]
			if !ok || size != o.Size {
				t.Errorf("pool object %s (%d bytes) is not in a remaining manifest (%d, %v)", o.Key, o.Size, size, ok)
			}
			pool++
			poolBytes += o.Size
		case strings.HasPrefix(o.Key, f.L.IndexPrefix()+"latest_backup/"+fqdn+"/"):
		default:
			ok := false
			for _, name := range remaining {
				ok = ok || strings.HasPrefix(o.Key, f.L.NodeBackupPrefix(fqdn, name)+"meta/") ||
					strings.HasPrefix(o.Key, f.L.BackupIndexPrefix(name))
			}
			if !ok {
				t.Errorf("unexpected object %s", o.Key)
			}
		}
	}
	if pool != len(want) || poolBytes != wantBytes {
		t.Errorf("pool: %d objects, %d bytes; the remaining manifests name %d objects, %d bytes",
			pool, poolBytes, len(want), wantBytes)
	}
}
