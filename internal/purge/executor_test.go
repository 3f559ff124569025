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
)

// fourBackups writes b1..b4 of n1 (differential, finished, 40/30/20/15
// days old) chaining pool files f1..f5, a young unreferenced pool file,
// and one backup of n2 that purge of n1 must not touch.
func fourBackups(f *fx) {
	f.backup(spec{fqdn: "n1", name: "b1", started: daysAgo(40), finished: true, files: []string{"ks/t-1/f1", "ks/t-1/f2"}})
	f.backup(spec{fqdn: "n1", name: "b2", started: daysAgo(30), finished: true, files: []string{"ks/t-1/f2", "ks/t-1/f3"}})
	f.backup(spec{fqdn: "n1", name: "b3", started: daysAgo(20), finished: true, files: []string{"ks/t-1/f3", "ks/t-1/f4"}})
	f.backup(spec{fqdn: "n1", name: "b4", started: daysAgo(15), finished: true, files: []string{"ks/t-1/f4", "ks/t-1/f5"}})
	f.backup(spec{fqdn: "n2", name: "b1", started: daysAgo(40), finished: true, files: []string{"ks/t-1/f1"}})
	f.put(f.pool("n1", "ks/t-1/young"), []byte("young"), daysAgo(1))
}

func (f *fx) executor(dry bool) *purge.Executor {
	return &purge.Executor{Backend: f.b, Prefix: f.prefix, GraceDays: 10, DryRun: dry, Now: func() time.Time { return now }}
}

func TestPurgeByCount(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{"", "tenant"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			f := newFx(t, prefix)
			fourBackups(f)
			before := f.keys()
			sum, err := f.executor(false).Purge(t.Context(), "n1", purge.Policy{MaxCount: 2})
			if err != nil {
				t.Fatal(err)
			}
			after := f.keys()
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
			for _, k := range []string{f.pool("n1", "ks/t-1/f1"), f.pool("n1", "ks/t-1/f2"),
				f.l.SchemaKey("n1", "b1"), f.l.IndexTokenmapKey("b2", "n1")} {
				if f.exists(k) {
					t.Errorf("%s still exists", k)
				}
			}
			if !f.exists(f.pool("n1", "ks/t-1/f3")) || !f.exists(f.pool("n1", "ks/t-1/young")) ||
				!f.exists(f.pool("n2", "ks/t-1/f1")) {
				t.Error("a referenced or young pool file was deleted")
			}
			objects, _ := sum.Deleted()
			if sum.Backups() != 2 || objects != len(gone) || sum.WithinGrace() != 1 || sum.Postponed() != 0 {
				t.Errorf("summary: %d backups, %d objects (%d gone), %d within grace, %d postponed",
					sum.Backups(), objects, len(gone), sum.WithinGrace(), sum.Postponed())
			}
			if got := f.listed(); !slices.Equal(got, []string{"b1:complete", "b3:complete", "b4:complete"}) {
				t.Errorf("listed after purge: %v", got) // b1 is n2's
			}
			f.checkComplete()
			if got := f.read(f.l.LatestBackupNameKey("n1")); got != "b4" {
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
	f := newFx(t, "p")
	fourBackups(f)
	before := f.keys()
	dry, err := f.executor(true).Purge(t.Context(), "n1", purge.Policy{MaxAgeDays: 25})
	if err != nil {
		t.Fatal(err)
	}
	if after := f.keys(); !slices.Equal(before, after) {
		t.Fatalf("dry run changed the bucket: %d keys before, %d after", len(before), len(after))
	}
	var out bytes.Buffer
	must(t, dry.WriteText(&out))
	if !strings.Contains(out.String(), "Dry run") || !strings.Contains(out.String(), "would be deleted") {
		t.Errorf("dry-run text:\n%s", out.String())
	}
	real, err := f.executor(false).Purge(t.Context(), "n1", purge.Policy{MaxAgeDays: 25})
	if err != nil {
		t.Fatal(err)
	}
	do, db := dry.Deleted()
	ro, rb := real.Deleted()
	if dry.Backups() != 2 || dry.Backups() != real.Backups() || do != ro || db != rb || do != len(before)-len(f.keys()) {
		t.Errorf("dry run predicted %d backups, %d objects, %d bytes; the run did %d, %d, %d",
			dry.Backups(), do, db, real.Backups(), ro, rb)
	}
}

func TestDeleteBackup(t *testing.T) {
	t.Parallel()
	f := newFx(t, "")
	fourBackups(f)
	ctx := t.Context()
	e := f.executor(false)

	before := f.keys()
	_, err := e.DeleteBackups(ctx, "n1", []string{"b4", "nope"}, false)
	if !errors.Is(err, layout.ErrBackupNotFound) || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("unknown backup: %v", err)
	}
	if !slices.Equal(before, f.keys()) {
		t.Fatal("a failed delete-backup changed the bucket")
	}

	// Deleting the latest backup moves the marker to the previous one.
	if _, err := e.DeleteBackups(ctx, "n1", []string{"b4"}, false); err != nil {
		t.Fatal(err)
	}
	if got := f.read(f.l.LatestBackupNameKey("n1")); got != "b3" {
		t.Errorf("latest marker after deleting b4: %q", got)
	}
	if f.read(f.l.LatestTokenmapKey("n1")) != f.read(f.l.TokenmapKey("n1", "b3")) {
		t.Error("latest tokenmap marker is not b3's")
	}
	if f.exists(f.pool("n1", "ks/t-1/f5")) || !f.exists(f.pool("n1", "ks/t-1/f4")) {
		t.Error("pool clean-up after delete-backup b4")
	}
	// b1 exists on n1 and n2: without --all-nodes only n1's goes.
	if _, err := e.DeleteBackups(ctx, "n1", []string{"b1"}, false); err != nil {
		t.Fatal(err)
	}
	if f.exists(f.l.SchemaKey("n1", "b1")) || !f.exists(f.l.SchemaKey("n2", "b1")) {
		t.Error("delete-backup without --all-nodes")
	}
	if _, err := e.DeleteBackups(ctx, "n1", []string{"b1", "b2", "b3"}, true); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{f.l.LatestBackupNameKey("n1"), f.l.LatestBackupNameKey("n2"), f.l.SchemaKey("n2", "b1")} {
		if f.exists(k) {
			t.Errorf("%s still exists after deleting every backup", k)
		}
	}
	if got := f.keys(); !slices.Equal(got, []string{f.pool("n1", "ks/t-1/young")}) {
		t.Errorf("left in the bucket: %v", got)
	}
}

// TestBatches: deletions go through DeleteMany, at most 1,000 keys each.
func TestBatches(t *testing.T) {
	t.Parallel()
	f := newFx(t, "")
	f.backup(spec{fqdn: "n1", name: "b1", started: daysAgo(40), finished: true, files: []string{"ks/t-1/keep"}})
	for i := range 2500 {
		f.put(f.pool("n1", "ks/t-1/orphan-"+strconv.Itoa(i)), []byte("o"), daysAgo(30))
	}
	faulty := storagetest.NewFaulty(f.b)
	e := f.executor(false)
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
	if !f.exists(f.pool("n1", "ks/t-1/keep")) {
		t.Error("referenced file deleted")
	}
}

// TestLeftoversAreFinished: what an interrupted deletion leaves (index
// entries and objects without meta/schema.cql) is removed by any run.
func TestLeftoversAreFinished(t *testing.T) {
	t.Parallel()
	f := newFx(t, "")
	fourBackups(f)
	ctx := t.Context()
	must(t, f.b.DeleteMany(ctx, []string{f.l.SchemaKey("n1", "b3"), f.l.ManifestKey("n1", "b3")}))
	f.put("n1/b9/meta/tokenmap.json", []byte("{}"), daysAgo(50))
	f.put("n1/b9/data/ks/t-1/x", []byte("full data"), daysAgo(50))
	sum, err := f.executor(false).Purge(ctx, "n1", purge.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Backups() != 2 {
		t.Errorf("%d backups purged, want the 2 leftovers", sum.Backups())
	}
	for _, k := range f.keys() {
		if strings.HasPrefix(k, "n1/b3/") || strings.HasPrefix(k, "n1/b9/") ||
			strings.HasPrefix(k, f.l.BackupIndexPrefix("b3")) {
			t.Errorf("leftover key %s", k)
		}
	}
	// f3 and f4 are still referenced by b2 and b4.
	if !f.exists(f.pool("n1", "ks/t-1/f3")) || !f.exists(f.pool("n1", "ks/t-1/f4")) {
		t.Error("pool files of remaining backups deleted")
	}
	if got := f.listed(); !slices.Equal(got, []string{"b1:complete", "b2:complete", "b4:complete"}) {
		t.Errorf("listed: %v", got)
	}
}
