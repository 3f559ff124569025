package purge_test

import (
	"bytes"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/purge"
	"github.com/medusa-go/medusa/internal/storage/storagetest"
	"github.com/medusa-go/medusa/internal/testbed"
)

// executor is the purge of the fixture, with a 10-day grace period.
func executor(f *fx, dry bool) *purge.Executor {
	return &purge.Executor{Backend: f.B, Prefix: f.Prefix, GraceDays: 10, DryRun: dry, Now: func() time.Time { return testbed.Now }}
}

func TestPurgeByCount(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{"", "tenant"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			f := testbed.NewLocalBucket(t, prefix)
			f.FourBackups()
			before := f.Keys()
			sum, err := executor(f, false).Purge(t.Context(), "n1", purge.Policy{MaxCount: 2})
			if err != nil {
				t.Fatal(err)
			}
			after := f.Keys()
			var gone []string
			for _, k := range before {
				if !slices.Contains(after, k) {
					gone = append(gone, k)
				}
			}
			for _, k := range gone {
				if !strings.Contains(k, "/b1/") && !strings.Contains(k, "/b2/") && !strings.HasSuffix(k, "/f1") &&
					!strings.HasSuffix(k, "/f2") {
					t.Errorf("deleted %s", k)
				}
				if strings.Contains(k, "n2") {
					t.Errorf("deleted %s of another node", k)
				}
			}
			for _, k := range []string{f.Pool("n1", "ks/t-1/f1"), f.Pool("n1", "ks/t-1/f2"),
				f.L.SchemaKey("n1", "b1"), f.L.IndexTokenmapKey("b2", "n1")} {
				if f.Exists(k) {
					t.Errorf("%s still exists", k)
				}
			}
			if !f.Exists(f.Pool("n1", "ks/t-1/f3")) || !f.Exists(f.Pool("n1", "ks/t-1/young")) ||
				!f.Exists(f.Pool("n2", "ks/t-1/f1")) {
				t.Error("a referenced or young pool file was deleted")
			}
			objects, _ := sum.Deleted()
			if sum.Backups() != 2 || objects != len(gone) || sum.WithinGrace() != 1 || sum.Postponed() != 0 {
				t.Errorf("summary: %d backups, %d objects (%d gone), %d within grace, %d postponed",
					sum.Backups(), objects, len(gone), sum.WithinGrace(), sum.Postponed())
			}
			if got := f.Listed(); !slices.Equal(got, []string{"b1:complete", "b3:complete", "b4:complete"}) {
				t.Errorf("listed after purge: %v", got) // b1 is n2's
			}
			f.CheckComplete()
			if got := f.Read(f.L.LatestBackupNameKey("n1")); got != "b4" {
				t.Errorf("latest marker %q", got)
			}
			var out bytes.Buffer
			must(t, sum.WriteText(&out))
			for _, want := range []string{"backup b1 of n1 deleted (beyond the max_backup_count", "Backups purged: 2",
				"Objects kept by the 10-day grace period: 1", "2 unreferenced objects of the pool of n1 deleted"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("summary lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

func TestDryRun(t *testing.T) {
	t.Parallel()
	f := testbed.NewLocalBucket(t, "p")
	f.FourBackups()
	before := f.Keys()
	dry, err := executor(f, true).Purge(t.Context(), "n1", purge.Policy{MaxAgeDays: 25})
	if err != nil {
		t.Fatal(err)
	}
	if after := f.Keys(); !slices.Equal(before, after) {
		t.Fatalf("dry run changed the bucket: %d keys before, %d after", len(before), len(after))
	}
	var out bytes.Buffer
	must(t, dry.WriteText(&out))
	if !strings.Contains(out.String(), "Dry run") || !strings.Contains(out.String(), "would be deleted") {
		t.Errorf("dry-run text:\n%s", out.String())
	}
	real, err := executor(f, false).Purge(t.Context(), "n1", purge.Policy{MaxAgeDays: 25})
	if err != nil {
		t.Fatal(err)
	}
	do, db := dry.Deleted()
	ro, rb := real.Deleted()
	if dry.Backups() != 2 || dry.Backups() != real.Backups() || do != ro || db != rb || do != len(before)-len(f.Keys()) {
		t.Errorf("dry run predicted %d backups, %d objects, %d bytes; the run did %d, %d, %d",
			dry.Backups(), do, db, real.Backups(), ro, rb)
	}
}

func TestDeleteBackup(t *testing.T) {
	t.Parallel()
	f := testbed.NewLocalBucket(t, "")
	f.FourBackups()
	ctx := t.Context()
	e := executor(f, false)

	before := f.Keys()
	_, err := e.DeleteBackups(ctx, "n1", []string{"b4", "nope"}, false)
	if !errors.Is(err, layout.ErrBackupNotFound) || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("unknown backup: %v", err)
	}
	if !slices.Equal(before, f.Keys()) {
		t.Fatal("a failed delete-backup changed the bucket")
	}

	// Deleting the latest backup moves the marker to the previous one.
	if _, err := e.DeleteBackups(ctx, "n1", []string{"b4"}, false); err != nil {
		t.Fatal(err)
	}
	if got := f.Read(f.L.LatestBackupNameKey("n1")); got != "b3" {
		t.Errorf("latest marker after deleting b4: %q", got)
	}
	if f.Read(f.L.LatestTokenmapKey("n1")) != f.Read(f.L.TokenmapKey("n1", "b3")) {
		t.Error("latest tokenmap marker is not b3's")
	}
	if f.Exists(f.Pool("n1", "ks/t-1/f5")) || !f.Exists(f.Pool("n1", "ks/t-1/f4")) {
		t.Error("pool clean-up after delete-backup b4")
	}
	// b1 exists on n1 and n2: without --all-nodes only n1's goes.
	if _, err := e.DeleteBackups(ctx, "n1", []string{"b1"}, false); err != nil {
		t.Fatal(err)
	}
	if f.Exists(f.L.SchemaKey("n1", "b1")) || !f.Exists(f.L.SchemaKey("n2", "b1")) {
		t.Error("delete-backup without --all-nodes")
	}
	if _, err := e.DeleteBackups(ctx, "n1", []string{"b1", "b2", "b3"}, true); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{f.L.LatestBackupNameKey("n1"), f.L.LatestBackupNameKey("n2"), f.L.SchemaKey("n2", "b1")} {
		if f.Exists(k) {
			t.Errorf("%s still exists after deleting every backup", k)
		}
	}
	if got := f.Keys(); !slices.Equal(got, []string{f.Pool("n1", "ks/t-1/young")}) {
		t.Errorf("left in the bucket: %v", got)
	}
}

// TestBatches: deletions go through DeleteMany, at most 1,000 keys each.
func TestBatches(t *testing.T) {
	t.Parallel()
	f := testbed.NewLocalBucket(t, "")
	f.Backup(testbed.NodeBackupSpec{FQDN: "n1", Name: "b1", Started: testbed.DaysAgo(40), Finished: true, Files: []string{"ks/t-1/keep"}})
	for i := range 2500 {
		f.Put(f.Pool("n1", "ks/t-1/orphan-"+strconv.Itoa(i)), []byte("o"), testbed.DaysAgo(30))
	}
	faulty := storagetest.NewFaulty(f.B)
	e := executor(f, false)
	e.Backend = faulty
	sum, err := e.Purge(t.Context(), "n1", purge.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := sum.Deleted(); n != 2500 {
		t.Errorf("deleted %d objects", n)
	}
	if got := faulty.Calls(storagetest.OpDeleteMany); got != 3 {
		t.Errorf("%d DeleteMany calls for 2,500 keys, want 3", got)
	}
	if got := faulty.Calls(storagetest.OpDelete); got != 0 {
		t.Errorf("%d single deletes", got)
	}
	if !f.Exists(f.Pool("n1", "ks/t-1/keep")) {
		t.Error("referenced file deleted")
	}
}

// TestLeftoversAreFinished: what an interrupted deletion leaves (index
// entries and objects without meta/schema.cql) is removed by any run.
func TestLeftoversAreFinished(t *testing.T) {
	t.Parallel()
	f := testbed.NewLocalBucket(t, "")
	f.FourBackups()
	ctx := t.Context()
	must(t, f.B.DeleteMany(ctx, []string{f.L.SchemaKey("n1", "b3"), f.L.ManifestKey("n1", "b3")}))
	f.Put("n1/b9/meta/tokenmap.json", []byte("{}"), testbed.DaysAgo(50))
	f.Put("n1/b9/data/ks/t-1/x", []byte("full data"), testbed.DaysAgo(50))
	sum, err := executor(f, false).Purge(ctx, "n1", purge.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Backups() != 2 {
		t.Errorf("%d backups purged, want the 2 leftovers", sum.Backups())
	}
	for _, k := range f.Keys() {
		if strings.HasPrefix(k, "n1/b3/") || strings.HasPrefix(k, "n1/b9/") ||
			strings.HasPrefix(k, f.L.BackupIndexPrefix("b3")) {
			t.Errorf("leftover key %s", k)
		}
	}
	// f3 and f4 are still referenced by b2 and b4.
	if !f.Exists(f.Pool("n1", "ks/t-1/f3")) || !f.Exists(f.Pool("n1", "ks/t-1/f4")) {
		t.Error("pool files of remaining backups deleted")
	}
	if got := f.Listed(); !slices.Equal(got, []string{"b1:complete", "b2:complete", "b4:complete"}) {
		t.Errorf("listed: %v", got)
	}
}
