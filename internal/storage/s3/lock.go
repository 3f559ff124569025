package s3

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/medusa-go/medusa/internal/storage"
)

// ObjectLock makes every object written carry an S3 Object Lock retention
// date ([storage] object_lock_days, object_lock_mode). The bucket must have
// Object Lock enabled.
type ObjectLock struct {
	// Mode is "GOVERNANCE" or "COMPLIANCE" (case-insensitive; empty means
	// GOVERNANCE).
	Mode string
	// Period is how long after its upload an object stays locked. The
	// configuration gives whole days; tests use seconds.
	Period time.Duration
	// Exempt, when set, names keys written without retention: objects that
	// are overwritten in place (the latest-backup markers), which a lock
	// would make unwritable on stores without versioning.
	Exempt func(key string) bool
	// Now is the clock the retention date is computed from (default
	// time.Now).
	Now func() time.Time
}

// lockMode validates a mode name.
func lockMode(mode string) (types.ObjectLockMode, error) {
	switch strings.ToUpper(strings.TrimSpace(mode)) {
	case "", "GOVERNANCE":
		return types.ObjectLockModeGovernance, nil
	case "COMPLIANCE":
		return types.ObjectLockModeCompliance, nil
	}
	return "", fmt.Errorf("object_lock_mode %q is not one of governance, compliance", mode)
}

// retention returns the lock headers for an upload of key, or nothing.
func (b *Backend) retention(key string) (types.ObjectLockMode, *time.Time) {
	l := b.opts.ObjectLock
	if l == nil || l.Period <= 0 || (l.Exempt != nil && l.Exempt(key)) {
		return "", nil
	}
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	until := now().Add(l.Period).UTC()
	return b.lockMode, &until
}

func (b *Backend) lockPut(in *s3.PutObjectInput) {
	if in.ObjectLockMode, in.ObjectLockRetainUntilDate = b.retention(aws.ToString(in.Key)); in.ObjectLockMode != "" {
		// S3 wants a body checksum on uploads with retention.
		in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32
	}
}

func (b *Backend) lockCreate(in *s3.CreateMultipartUploadInput) {
	in.ObjectLockMode, in.ObjectLockRetainUntilDate = b.retention(aws.ToString(in.Key))
}

var _ storage.Retention = (*Backend)(nil)

// RetainUntil asks the store for key's retention (GetObjectRetention,
// s3:GetObjectRetention). An object without retention, or a bucket
// without Object Lock, has the zero time.
func (b *Backend) RetainUntil(ctx context.Context, key string) (time.Time, error) {
	out, err := b.client.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: &b.bucket, Key: &key})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			switch ae.ErrorCode() {
			case "NoSuchObjectLockConfiguration", "ObjectLockConfigurationNotFoundError", "InvalidRequest":
				return time.Time{}, nil
			}
		}
		return time.Time{}, b.translate(ctx, "get retention of", "s3:GetObjectRetention", key, err)
	}
	if out.Retention == nil {
		return time.Time{}, nil
	}
	return aws.ToTime(out.Retention.RetainUntilDate), nil
}

// IsLockError tells a refusal for object lock from other AccessDenied
// answers: S3 and versitygw say "Access Denied because object protected
// by object lock"; versitygw refuses an overwrite of a governance-locked
// object as a missing s3:BypassGovernanceRetention permission.
func IsLockError(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	msg := strings.ToLower(ae.ErrorMessage())
	return ae.ErrorCode() == "ObjectLocked" || strings.Contains(msg, "object lock") ||
		strings.Contains(msg, "bypassgovernanceretention")
}
