package backup

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
)

// DefaultUploadMaxAge is the default of Options.UploadMaxAge: no upload
// of a node's backup stays in flight for a day.
const DefaultUploadMaxAge = 24 * time.Hour

// markerSkew allows for the store's clock being behind this machine's when
// an upload's start is compared with the in-progress marker's time.
const markerSkew = 5 * time.Minute

// maxKeptReported bounds the kept uploads named one by one in the log.
const maxKeptReported = 5

// cleanIncompleteUploads aborts the incomplete multipart uploads under
// this node's prefix that are known to be dead, and reports the others
// with the command that aborts them. Dead are the uploads started before
// now - UploadMaxAge, and, when a killed backup left its in-progress
// marker (which this backup now holds, so that backup no longer runs),
// those started since that marker was created. Nothing here fails the
// backup: a store that refuses the listing or the abort is warned about
// (only a cancelled context is returned).
func (r *run) cleanIncompleteUploads(ctx context.Context) error {
	c, ok := storage.As[storage.UploadCleaner](r.d.Storage)
	if !ok {
		return nil
	}
	prefix := r.l.NodePrefix(r.o.FQDN)
	ups, err := c.IncompleteUploads(ctx, prefix)
	if err != nil {
		return r.warnUploads(ctx, "list", err)
	}
	killed, hasKilled := r.staleMarker()
	now := r.d.Clock.Now()
	var kept []storage.IncompleteUpload
	aborted := 0
	for i, u := range ups {
		byAge := r.o.UploadMaxAge > 0 && u.Initiated.Before(now.Add(-r.o.UploadMaxAge))
		// A killed backup's marker says nothing of the uploads of
		// `commitlog sync`, which may be running now: only age ends them.
		bySync := strings.HasPrefix(u.Key, prefix+layout.CommitlogsDir+"/")
		byMarker := hasKilled && !bySync && !u.Initiated.Before(killed.Add(-markerSkew))
		if !byAge && !byMarker {
			kept = append(kept, u)
			continue
		}
		if err := c.AbortUpload(ctx, u); err != nil {
			if werr := r.warnUploads(ctx, "abort", err); werr != nil {
				return werr
			}
			kept = append(kept, ups[i:]...)
			break
		}
		aborted++
	}
	if aborted > 0 {
		r.d.Logger.Info(fmt.Sprintf("Aborted %d incomplete multipart uploads left by killed backups", aborted),
			"prefix", prefix)
	}
	r.reportKept(c, kept)
	return nil
}

// staleMarker returns when the in-progress marker this backup locked was
// last written before this backup locked it, when that was before this
// backup started: a backup killed then left it behind.
func (r *run) staleMarker() (time.Time, bool) {
	m := r.markerMod
	return m, !m.IsZero() && m.Before(r.res.Started.Add(-2*time.Second))
}

// warnUploads says why the cleanup of incomplete uploads was skipped; it
// returns err only when the context was cancelled.
func (r *run) warnUploads(ctx context.Context, what string, err error) error {
	if Interrupted(ctx, err) {
		return err
	}
	hint := ""
	if errors.Is(err, storage.ErrAccessDenied) {
		hint = "; grant s3:ListBucketMultipartUploads and s3:AbortMultipartUpload to clean them up"
	}
	r.d.Logger.Warn("Could not "+what+" incomplete multipart uploads left by killed backups"+hint,
		"error", err.Error())
	return nil
}

// reportKept names the incomplete uploads left in place (perhaps another
// process's, still running) and how to abort them.
func (r *run) reportKept(c storage.UploadCleaner, kept []storage.IncompleteUpload) {
	if len(kept) == 0 {
		return
	}
	why := "they may belong to a running upload ([storage] abort_incomplete_uploads_after_hours = 0)"
	if r.o.UploadMaxAge > 0 {
		why = fmt.Sprintf("they are younger than %s and may belong to a running upload", r.o.UploadMaxAge)
	}
	r.d.Logger.Warn(fmt.Sprintf("%d incomplete multipart uploads of this node were kept: %s; "+
		"abort them once no backup of this node runs", len(kept), why))
	for i, u := range kept {
		if i == maxKeptReported {
			r.d.Logger.Warn(fmt.Sprintf("... and %d more", len(kept)-i))
			break
		}
		r.d.Logger.Warn("Incomplete multipart upload", "key", u.Key, "initiated", u.Initiated.UTC().Format(time.RFC3339),
			"abort_with", c.AbortCommand(u))
	}
}
