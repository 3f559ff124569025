package purge_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/commitlog"
	"github.com/medusa-go/medusa/internal/purge"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/testbed"
)

// segmentGrace is the retention grace of these tests: half a day, so that
// no segment sits on a bound.
const segmentGrace = 12 * time.Hour

// segmentFixture is FourBackups (b1..b4 of n1, 40/30/20/15 days old) with
// archived segments 100..109 of n1 written 40, 37, ..., 13 days ago,
// meta/pitr.json in b2, b3 and b4 (b1 predates archiving) naming as active
// the segments 104, 107 and 109, a segment object 99 whose sidecar is
// missing (41 days old), one 98 whose sidecar is not written yet (an
// upload of an old segment in progress), an object that is not a
// segment, and segments of n2 that purging n1 never touches.
func segmentFixture(t *testing.T, prefix string) *fx {
	f := testbed.NewLocalBucket(t, prefix)
	f.FourBackups()
	for i := range 10 {
		putSegment(f, "n1", int64(100+i), testbed.DaysAgo(40-3*float64(i)), true)
	}
	putSegment(f, "n2", 100, testbed.DaysAgo(40), true)
	obj := putSegment(f, "n1", 99, testbed.DaysAgo(41), false)
	f.Touch(obj, testbed.DaysAgo(41))
	putSegment(f, "n1", 98, testbed.DaysAgo(42), false) // LastModified: now
	f.Put(f.L.KeyPrefix()+"n1/commitlogs/status/archiver.json", []byte("{}"), testbed.DaysAgo(40))
	for _, b := range []struct {
		name   string
		active int64
		at     float64
	}{{"b2", 104, 30}, {"b3", 107, 20}, {"b4", 109, 15}} {
		putPitr(f, "n1", b.name, testbed.DaysAgo(b.at), b.active)
	}
	return f
}

// putSegment stores segment id of fqdn (last written at mtime) and, with
// sidecar, its sidecar; it returns the segment object's key.
func putSegment(f *fx, fqdn string, id int64, mtime time.Time, sidecar bool) string {
	info := commitlog.SegmentInfo{Name: fmt.Sprintf("CommitLog-7-%d.log", id), Version: 7, ID: id,
		MtimeMs: mtime.UnixMilli(), Codec: commitlog.CodecZstd, RawSize: 1 << 20, StoredSize: 100}
	key := f.L.KeyPrefix() + commitlog.SegmentKey(fqdn, info)
	f.Put(key, bytes.Repeat([]byte{1}, 100), time.Now())
	if sidecar {
		f.Put(f.L.KeyPrefix()+commitlog.InfoKey(fqdn, info), []byte(`{}`), time.Now())
	}
	return key
}

func putPitr(f *fx, fqdn, backup string, started time.Time, active ...int64) {
	m := commitlog.PitrMeta{SnapshotStartedUs: started.UnixMicro(), SnapshotTakenUs: started.Add(time.Second).UnixMicro(),
		Archiving: true, Precision: "MICROSECONDS"}
	for _, id := range active {
		m.ActiveSegments = append(m.ActiveSegments, fmt.Sprintf("CommitLog-7-%d.log", id))
	}
	if err := commitlog.WriteMeta(context.Background(), f.B, f.L, fqdn, backup, m); err != nil {
		f.T.Fatal(err)
	}
}

// segmentIDs returns the ids of fqdn's archived segments left in the
// bucket whose segment object (obj) or sidecar (!obj) exists.
func segmentIDs(f *fx, fqdn string, obj bool) []int64 {
	var ids []int64
	for _, k := range f.Keys() {
		_, _, name, kind, err := commitlog.ParseKey(strings.TrimPrefix(k, f.L.KeyPrefix()))
		if err != nil || !strings.HasPrefix(k, f.L.KeyPrefix()+fqdn+"/") || (kind == commitlog.KindInfo) == obj {
			continue
		}
		ids = append(ids, name.ID)
	}
	slices.Sort(ids)
	return ids
}

func segExecutor(f *fx, dry bool) *purge.Executor {
	e := executor(f, dry)
	e.RetentionGrace = segmentGrace
	return e
}

func summaryText(t *testing.T, s purge.Summary) string {
	t.Helper()
	var out bytes.Buffer
	if err := s.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestPurgeSegments: purge keeps b3 and b4; b3, the oldest with pitr.json,
// needs the segments from 107 on and those written within the grace before
// its snapshot. Older ones go, sidecars with their segments; the segment
// object still waiting for its sidecar, the object that is not a segment
// and n2's segments stay. A dry run predicts it and changes nothing.
func TestPurgeSegments(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{"", "tenant"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			f := segmentFixture(t, prefix)
			before := f.Keys()
			dry, err := segExecutor(f, true).Purge(t.Context(), "n1", purge.Policy{MaxCount: 2})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(before, f.Keys()) {
				t.Fatal("dry run changed the bucket")
			}
			sum, err := segExecutor(f, false).Purge(t.Context(), "n1", purge.Policy{MaxCount: 2})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := segmentIDs(f, "n1", true), []int64{98, 107, 108, 109}; !slices.Equal(got, want) {
				t.Errorf("segment objects left %v, want %v", got, want)
			}
			if got, want := segmentIDs(f, "n1", false), []int64{107, 108, 109}; !slices.Equal(got, want) {
				t.Errorf("sidecars left %v, want %v", got, want)
			}
			if got := segmentIDs(f, "n2", true); !slices.Equal(got, []int64{100}) {
				t.Errorf("n2's segments: %v", got)
			}
			if !f.Exists(f.L.KeyPrefix() + "n1/commitlogs/status/archiver.json") {
				t.Error("an object under commitlogs/ that is not a segment was deleted")
			}
			deleted, bytes, kept, _, _, found := sum.Segments()
			if !found || deleted != 8 || kept != 4 || bytes != 7*(100+2)+100 {
				t.Errorf("Segments() = %d deleted (%d bytes), %d kept, found %v; want 8 (814 bytes), 4", deleted, bytes,
					kept, found)
			}
			dd, db, dk, _, _, _ := dry.Segments()
			do, dbytes := dry.Deleted()
			so, sbytes := sum.Deleted()
			if dd != deleted || db != bytes || dk != kept || do != so || dbytes != sbytes {
				t.Errorf("dry run predicted %d segments/%d objects, the run deleted %d/%d", dd, do, deleted, so)
			}
			text := summaryText(t, sum)
			for _, want := range []string{"- 8 archived commit log segments of n1 deleted: 814.00 B\n",
				"- 4 archived commit log segments of n1 kept: needed by backup b3 or written within the retention grace\n",
				"Commit log segments deleted: 8 (814.00 B), kept: 4\n"} {
				if !strings.Contains(text, want) {
					t.Errorf("summary lacks %q:\n%s", want, text)
				}
			}
		})
	}
}

// TestPurgeSegmentsBothBounds: a segment goes only when its id is below
// the pin AND it was written before the snapshot minus the grace. With
// no retention rule every backup stays: b2 pins from 104; with a grace of
// 9.5 days the segments written in the 9.5 days before b2's snapshot (101
// to 103) stay too. The directory commitlogs/ is never taken for a backup
// (before archived segments existed, a purge would have deleted it as a
// leftover).
func TestPurgeSegmentsBothBounds(t *testing.T) {
	t.Parallel()
	f := segmentFixture(t, "")
	e := segExecutor(f, false)
	e.RetentionGrace = 9*24*time.Hour + 12*time.Hour
	sum, err := e.Purge(t.Context(), "n1", purge.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Backups() != 0 {
		t.Fatalf("%d backups deleted without a retention rule:\n%s", sum.Backups(), summaryText(t, sum))
	}
	if got, want := segmentIDs(f, "n1", false), []int64{101, 102, 103, 104, 105, 106, 107, 108, 109}; !slices.Equal(got, want) {
		t.Errorf("sidecars left %v, want %v", got, want)
	}
}

// TestDeleteBackupSegments: after deleting b2 and b3, b4 is the oldest
// backup with pitr.json (b1 has none and pins nothing): segments below 109
// written before its snapshot minus the grace go.
func TestDeleteBackupSegments(t *testing.T) {
	t.Parallel()
	f := segmentFixture(t, "tenant")
	sum, err := segExecutor(f, false).DeleteBackups(t.Context(), "n1", []string{"b2", "b3"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := segmentIDs(f, "n1", false), []int64{109}; !slices.Equal(got, want) {
		t.Errorf("sidecars left %v, want %v\n%s", got, want, summaryText(t, sum))
	}
	if !f.Exists(f.L.SchemaKey("n1", "b1")) || f.Exists(f.L.MetaKey("n1", "b3", commitlog.MetaFile)) {
		t.Error("delete-backup deleted the wrong backups")
	}
}

// TestPurgeSegmentsWithoutBase: with no backup left that has pitr.json,
// only the segments of the last grace stay.
func TestPurgeSegmentsWithoutBase(t *testing.T) {
	t.Parallel()
	f := segmentFixture(t, "")
	e := segExecutor(f, false)
	e.RetentionGrace = 14 * 24 * time.Hour
	if _, err := e.DeleteBackups(t.Context(), "n1", []string{"b2", "b3", "b4"}, false); err != nil {
		t.Fatal(err)
	}
	if got, want := segmentIDs(f, "n1", false), []int64{109}; !slices.Equal(got, want) {
		t.Errorf("sidecars left %v, want %v", got, want)
	}
}

// TestPurgeSegmentsRunningBackup: a backup that may still be running and
// has no pitr.json yet pins the segments written since its start minus
// the grace.
func TestPurgeSegmentsRunningBackup(t *testing.T) {
	t.Parallel()
	f := testbed.NewLocalBucket(t, "")
	f.Backup(testbed.NodeBackupSpec{FQDN: "n1", Name: "old", Started: testbed.DaysAgo(40), Finished: true})
	f.Backup(testbed.NodeBackupSpec{FQDN: "n1", Name: "running", Started: testbed.DaysAgo(5), Finished: false})
	putPitr(f, "n1", "old", testbed.DaysAgo(40), 100)
	for i := range 8 {
		putSegment(f, "n1", int64(100+i), testbed.DaysAgo(40-5*float64(i)), true) // 40, 35, ..., 5 days ago
	}
	if _, err := segExecutor(f, false).DeleteBackups(t.Context(), "n1", []string{"old"}, false); err != nil {
		t.Fatal(err)
	}
	if got, want := segmentIDs(f, "n1", false), []int64{107}; !slices.Equal(got, want) {
		t.Errorf("sidecars left %v, want %v", got, want)
	}
}

// TestPurgeDecommissionedSegments: a node that left the cluster loses its
// whole commitlogs/ directory, also when nothing else of it is left (its
// sidecars make it a node of the bucket).
func TestPurgeDecommissionedSegments(t *testing.T) {
	t.Parallel()
	f := segmentFixture(t, "tenant")
	putSegment(f, "gone", 500, testbed.DaysAgo(1), true)
	sum, err := segExecutor(f, false).PurgeDecommissioned(t.Context(), "n2", []string{"n2"})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range f.Keys() {
		if strings.HasPrefix(k, f.L.KeyPrefix()+"n1/commitlogs/") || strings.HasPrefix(k, f.L.KeyPrefix()+"gone/") {
			t.Errorf("%s left after purging its decommissioned node", k)
		}
	}
	if got := segmentIDs(f, "n2", true); !slices.Equal(got, []int64{100}) {
		t.Errorf("n2's segments: %v", got)
	}
	if deleted, _, _, _, _, _ := sum.Segments(); deleted != 13 {
		t.Errorf("%d segments deleted, want 13 (12 of n1, 1 of gone)\n%s", deleted, summaryText(t, sum))
	}
}

// lockingBackend refuses to delete the keys Retention retains, as an S3
// bucket with Object Lock does: the other keys of a batch are deleted.
type lockingBackend struct {
	storage.Backend
	locks *lockedKeys
}

func (b *lockingBackend) DeleteMany(ctx context.Context, keys []string) error {
	var free []string
	for _, k := range keys {
		if until, _ := b.locks.RetainUntil(ctx, k); !until.After(testbed.Now) {
			free = append(free, k)
		}
	}
	if err := b.Backend.DeleteMany(ctx, free); err != nil {
		return err
	}
	if len(free) < len(keys) {
		return fmt.Errorf("delete: %w", storage.ErrLocked)
	}
	return nil
}

// TestPurgeSegmentsLocked: segments the store refuses to delete are kept
// and counted; a segment whose sidecar is retained keeps its segment
// object too (it must stay readable while it lists as archived).
func TestPurgeSegmentsLocked(t *testing.T) {
	t.Parallel()
	f := segmentFixture(t, "")
	locks := &lockedKeys{subs: []string{"-CommitLog-7-101.log.zst", "-CommitLog-7-102.log.json"},
		until: testbed.Now.Add(time.Hour)}
	e := segExecutor(f, false)
	e.Backend, e.Locks = &lockingBackend{Backend: f.B, locks: locks}, locks
	sum, err := e.Purge(t.Context(), "n1", purge.Policy{MaxCount: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := segmentIDs(f, "n1", true), []int64{98, 101, 102, 107, 108, 109}; !slices.Equal(got, want) {
		t.Errorf("segment objects left %v, want %v", got, want)
	}
	if got, want := segmentIDs(f, "n1", false), []int64{102, 107, 108, 109}; !slices.Equal(got, want) {
		t.Errorf("sidecars left %v, want %v", got, want)
	}
	deleted, _, _, locked, until, _ := sum.Segments()
	if deleted != 6 || locked != 2 || !until.Equal(locks.until) {
		t.Errorf("Segments() = %d deleted, %d locked until %v; want 6, 2, %v", deleted, locked, until, locks.until)
	}
	if text := summaryText(t, sum); !strings.Contains(text, "Commit log segments kept by object lock retention: 2") {
		t.Errorf("summary lacks the locked segments:\n%s", text)
	}
}

// TestPurgeSegmentsBadPitr: a pitr.json that cannot be read stops the
// purge before anything is deleted.
func TestPurgeSegmentsBadPitr(t *testing.T) {
	t.Parallel()
	f := segmentFixture(t, "")
	f.Put(f.L.MetaKey("n1", "b3", commitlog.MetaFile), []byte("not json"), testbed.DaysAgo(20))
	before := f.Keys()
	_, err := segExecutor(f, false).Purge(t.Context(), "n1", purge.Policy{MaxCount: 2})
	if err == nil || !strings.Contains(err.Error(), "nothing was deleted") || !strings.Contains(err.Error(), "pitr.json") {
		t.Fatalf("err = %v, want a pitr.json error saying nothing was deleted", err)
	}
	if !slices.Equal(before, f.Keys()) {
		t.Error("the bucket changed")
	}
	if errors.Is(err, storage.ErrNotExist) {
		t.Error("a present pitr.json reported as missing")
	}
}
