package storage

import (
	"context"
	"time"
)

// IncompleteUpload is a multipart upload that was started and neither
// completed nor aborted: its parts use space in the bucket (and are
// billed) but no object lists them.
type IncompleteUpload struct {
	Key       string
	UploadID  string
	Initiated time.Time
}

// UploadCleaner is implemented by backends whose uploads can be left
// incomplete by a killed process (S3): the next backup lists them and
// aborts the dead ones. Reach it through decorators with As.
type UploadCleaner interface {
	// IncompleteUploads lists the incomplete multipart uploads of keys
	// beginning with prefix.
	IncompleteUploads(ctx context.Context, prefix string) ([]IncompleteUpload, error)
	// AbortUpload aborts one; an upload that is already gone is not an
	// error.
	AbortUpload(ctx context.Context, u IncompleteUpload) error
	// AbortCommand is the shell command that aborts u by hand, for
	// messages.
	AbortCommand(u IncompleteUpload) string
}
