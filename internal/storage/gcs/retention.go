package gcs

import (
	"context"
	"time"
)

// Retention is a bucket's retention policy: every object stays at least
// Period after its creation (zero: no policy); a locked policy cannot be
// shortened or removed.
type Retention struct {
	Period time.Duration
	Locked bool
}

// RetentionPolicy reads the bucket's retention policy (buckets.get, which
// needs storage.buckets.get: roles/storage.legacyBucketReader or
// roles/storage.admin, not roles/storage.objectAdmin).
func (b *Backend) RetentionPolicy(ctx context.Context) (Retention, error) {
	attrs, err := b.bucket.Attrs(ctx)
	if err != nil {
		return Retention{}, b.translate("read the retention policy of bucket", b.opts.Bucket, err)
	}
	if attrs.RetentionPolicy == nil {
		return Retention{}, nil
	}
	return Retention{Period: attrs.RetentionPolicy.RetentionPeriod, Locked: attrs.RetentionPolicy.IsLocked}, nil
}
