package metrics

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// TestWriteCommitlog: three syncs (one uploading, one failing, one quiet):
// the backlog gauges follow the spool, the counters add up across runs,
// the last archived time is read only when something was uploaded or the
// file has none, and it survives a failed sync.
func TestWriteCommitlog(t *testing.T) {
	dir := t.TempDir()
	l := map[string]string{"node": "n1"}
	end := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	archived := end.Add(-time.Minute)
	calls := 0
	last := func() (time.Time, bool, error) { calls++; return archived, true, nil }

	if _, err := WriteCommitlog(dir, CommitlogSync{Node: "n1", Ended: end, Uploaded: 3, Bytes: 3000, LastArchived: last}); err != nil {
		t.Fatal(err)
	}
	mfs := parseFile(t, filepath.Join(dir, CommitlogFile))
	eq(t, "backlog", value(t, mfs, "medusa_commitlog_backlog_segments", l), 0)
	eq(t, "uploaded", value(t, mfs, "medusa_commitlog_uploaded_segments_total", l), 3)
	eq(t, "last archived", value(t, mfs, "medusa_commitlog_last_archived_timestamp_seconds", l), float64(archived.Unix()))
	eq(t, "success", value(t, mfs, "medusa_commitlog_last_sync_success", l), 1)
	if _, ok := mfs["medusa_commitlog_backlog_oldest_timestamp_seconds"]; ok {
		t.Error("oldest backlog time with an empty spool")
	}

	oldest := end.Add(-20 * time.Minute)
	warn, err := WriteCommitlog(dir, CommitlogSync{Node: "n1", Ended: end.Add(time.Minute), Err: errors.New("store down"),
		BacklogSegments: 2, BacklogBytes: 2 << 20, BacklogOldest: oldest, LastArchived: last})
	if err != nil || warn != nil {
		t.Fatal(err, warn)
	}
	mfs = parseFile(t, filepath.Join(dir, CommitlogFile))
	eq(t, "backlog", value(t, mfs, "medusa_commitlog_backlog_segments", l), 2)
	eq(t, "backlog bytes", value(t, mfs, "medusa_commitlog_backlog_bytes", l), 2<<20)
	eq(t, "oldest", value(t, mfs, "medusa_commitlog_backlog_oldest_timestamp_seconds", l), float64(oldest.Unix()))
	eq(t, "errors", value(t, mfs, "medusa_commitlog_sync_errors_total", l), 1)
	eq(t, "syncs", value(t, mfs, "medusa_commitlog_syncs_total", l), 2)
	eq(t, "success", value(t, mfs, "medusa_commitlog_last_sync_success", l), 0)
	eq(t, "last success kept", value(t, mfs, "medusa_commitlog_last_sync_success_timestamp_seconds", l), float64(end.Unix()))
	eq(t, "last archived kept", value(t, mfs, "medusa_commitlog_last_archived_timestamp_seconds", l), float64(archived.Unix()))
	if calls != 1 {
		t.Errorf("LastArchived called %d times, want 1 (nothing uploaded by the second sync)", calls)
	}

	// A listing error keeps the previous value and is returned as a warning.
	warn, err = WriteCommitlog(dir, CommitlogSync{Node: "n1", Ended: end.Add(2 * time.Minute), Uploaded: 1, Bytes: 10,
		LastArchived: func() (time.Time, bool, error) { return time.Time{}, false, errors.New("list denied") }})
	if err != nil || warn == nil {
		t.Fatalf("err %v, warn %v; want a warning", err, warn)
	}
	mfs = parseFile(t, filepath.Join(dir, CommitlogFile))
	eq(t, "last archived kept", value(t, mfs, "medusa_commitlog_last_archived_timestamp_seconds", l), float64(archived.Unix()))
	eq(t, "uploaded", value(t, mfs, "medusa_commitlog_uploaded_segments_total", l), 4)
	eq(t, "bytes", value(t, mfs, "medusa_commitlog_uploaded_bytes_total", l), 3010)
	eq(t, "errors", value(t, mfs, "medusa_commitlog_sync_errors_total", l), 1)

	if _, err := WriteCommitlog(filepath.Join(dir, "missing"), CommitlogSync{Node: "n1", Ended: end}); err == nil {
		t.Error("no error writing into a missing directory")
	}
}
