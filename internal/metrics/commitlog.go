package metrics

import (
	"time"
)

// CommitlogFile is the textfile `medusa commitlog sync` (and every other
// sync of the spool: backups, the gRPC server's periodic sync) rewrites.
const CommitlogFile = "medusa_commitlog" + TextfileExt

// The HELP text of the commit log series.
const (
	helpCLBacklogSegments = "Commit log segments waiting in the spool for medusa commitlog sync, after the last sync."
	helpCLBacklogBytes    = "Bytes of the commit log segments waiting in the spool, after the last sync."
	helpCLBacklogOldest   = "When the oldest segment waiting in the spool was handed over by Cassandra (Unix time); absent when the spool is empty."
	helpCLLastArchived    = "Last write time (Unix time) of the newest commit log segment archived in the bucket: a point-in-time restore reaches up to here."
	helpCLSyncEnd         = "When the last commit log sync ended (Unix time)."
	helpCLSyncSuccess     = "1 when the last commit log sync succeeded, 0 when it failed."
	helpCLSyncSuccessTime = "When the last successful commit log sync ended (Unix time)."
	helpCLSyncs           = "Commit log syncs."
	helpCLSyncErrors      = "Failed commit log syncs (store unreachable, segment not archivable, ...)."
	helpCLUploaded        = "Commit log segments uploaded to the bucket."
	helpCLUploadedBytes   = "Bytes of commit log segments uploaded to the bucket (as stored: zstd)."
)

// CommitlogSync is what one sync of the spool did and left.
type CommitlogSync struct {
	// Node is the node's fqdn, the node label.
	Node string
	// Ended is when the sync ended.
	Ended time.Time
	// Uploaded segments, of Bytes stored size.
	Uploaded int
	Bytes    int64
	// Err is the sync's error (nil: success).
	Err error
	// BacklogSegments and BacklogBytes are what stays in the spool;
	// BacklogOldest when its oldest segment was handed over (zero: empty).
	BacklogSegments int
	BacklogBytes    int64
	BacklogOldest   time.Time
	// LastArchived returns the last write time of the newest archived
	// segment (ok false: none archived). It is called only when the sync
	// uploaded something or the previous file has no such value, so a
	// quiet node's sync costs no extra request; nil: keep the previous.
	LastArchived func() (t time.Time, ok bool, err error)
}

// WriteCommitlog rewrites dir/CommitlogFile with the outcome of s, carrying
// the counters and the last archived time over from the previous file. The
// returned warn is a problem with the previous file or LastArchived (to
// log); err is a file that could not be written.
func WriteCommitlog(dir string, s CommitlogSync) (warn, err error) {
	if dir == "" {
		return nil, nil
	}
	f, warn := openTextfile(dir, CommitlogFile)
	l := map[string]string{"node": s.Node}
	f.gauge("medusa_commitlog_backlog_segments", helpCLBacklogSegments, l, float64(s.BacklogSegments))
	f.gauge("medusa_commitlog_backlog_bytes", helpCLBacklogBytes, l, float64(s.BacklogBytes))
	if !s.BacklogOldest.IsZero() {
		f.gauge("medusa_commitlog_backlog_oldest_timestamp_seconds", helpCLBacklogOldest, l, seconds(s.BacklogOldest))
	}
	f.gauge("medusa_commitlog_last_sync_timestamp_seconds", helpCLSyncEnd, l, seconds(s.Ended))
	f.gauge("medusa_commitlog_last_sync_success", helpCLSyncSuccess, l, boolValue(s.Err == nil))
	if s.Err == nil {
		f.gauge("medusa_commitlog_last_sync_success_timestamp_seconds", helpCLSyncSuccessTime, l, seconds(s.Ended))
	} else {
		f.keep("medusa_commitlog_last_sync_success_timestamp_seconds", helpCLSyncSuccessTime, l)
	}
	f.counter("medusa_commitlog_syncs_total", helpCLSyncs, l, 1)
	f.counter("medusa_commitlog_sync_errors_total", helpCLSyncErrors, l, boolValue(s.Err != nil))
	f.counter("medusa_commitlog_uploaded_segments_total", helpCLUploaded, l, float64(s.Uploaded))
	f.counter("medusa_commitlog_uploaded_bytes_total", helpCLUploadedBytes, l, float64(s.Bytes))

	const last = "medusa_commitlog_last_archived_timestamp_seconds"
	_, had := f.previous(last, l)
	if s.LastArchived != nil && (s.Uploaded > 0 || !had) {
		t, ok, lerr := s.LastArchived()
		switch {
		case lerr != nil:
			if warn == nil {
				warn = lerr
			}
			f.keep(last, helpCLLastArchived, l)
		case ok:
			f.gauge(last, helpCLLastArchived, l, seconds(t))
		default:
			f.keep(last, helpCLLastArchived, l)
		}
	} else {
		f.keep(last, helpCLLastArchived, l)
	}
	return warn, f.write(dir)
}
