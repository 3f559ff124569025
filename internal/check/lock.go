package check

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// lockInfo is a bucket's S3 Object Lock configuration as
// GetObjectLockConfiguration reports it.
type lockInfo struct {
	// state is "on", "off", "unsupported" or "unknown".
	state string
	// mode and days are the default retention (days 0: none); years are
	// counted as 365 days.
	mode  string
	days  int
	years bool
	// err is the refusal or failure when state is "unknown".
	err error
}

func (l lockInfo) describe() string {
	switch l.state {
	case "on":
		if l.days == 0 {
			return "on, no default retention"
		}
		return "on with default retention " + l.retention()
	case "unsupported":
		return "not supported by the store"
	case "unknown":
		return "unknown (" + errText(l.err) + ")"
	}
	return "off"
}

func (l lockInfo) retention() string {
	if l.years {
		return fmt.Sprintf("%s %d years", l.mode, l.days/365)
	}
	return fmt.Sprintf("%s %d days", l.mode, l.days)
}

// lockConfig reads the bucket's Object Lock configuration once; later
// calls return the first answer.
func (s *S3) lockConfig(ctx context.Context) (lockInfo, bool) {
	if s.lock != nil {
		return *s.lock, true
	}
	l := readLock(ctx, s.API, s.Bucket)
	s.lock = &l
	return l, false
}

func readLock(ctx context.Context, api S3API, bucket string) lockInfo {
	out, err := api.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: &bucket})
	if err != nil {
		e := inspectErr(err)
		switch {
		case e.is("ObjectLockConfigurationNotFoundError", "ObjectLockConfigurationNotFound") || e.status == 404:
			return lockInfo{state: "off"}
		case e.notImplemented():
			return lockInfo{state: "unsupported"}
		}
		return lockInfo{state: "unknown", err: err}
	}
	c := out.ObjectLockConfiguration
	if c == nil || c.ObjectLockEnabled != types.ObjectLockEnabledEnabled {
		return lockInfo{state: "off"}
	}
	l := lockInfo{state: "on"}
	if c.Rule != nil && c.Rule.DefaultRetention != nil {
		d := c.Rule.DefaultRetention
		l.mode = string(d.Mode)
		l.days = int(aws.ToInt32(d.Days))
		if d.Years != nil {
			l.days, l.years = 365*int(aws.ToInt32(d.Years)), true
		}
	}
	return l
}

// checkObjectLock compares the bucket's Object Lock configuration with
// [storage] object_lock_days and the purge retention.
func (s *S3) checkObjectLock(ctx context.Context) Result {
	if !s.reachable {
		return s.notReachable()
	}
	l, _ := s.lockConfig(ctx)
	mode := strings.ToUpper(s.LockMode)
	if mode == "" {
		mode = "GOVERNANCE"
	}
	switch l.state {
	case "unknown":
		if e := inspectErr(l.err); e.denied() {
			return s.refused(false, "s3:GetBucketObjectLockConfiguration", bucketARN(s.Bucket), l.err)
		}
		return warn("run medusa check again; if it persists, check the store's logs", "GetObjectLockConfiguration: %v", l.err)
	case "unsupported":
		if s.LockDays > 0 {
			return fail("remove object_lock_days from [storage], or use a store that implements S3 Object Lock",
				"object_lock_days = %d but %s does not implement S3 Object Lock: uploads with a retention date will be refused", s.LockDays, s.Store)
		}
		return skip("%s does not implement S3 Object Lock; [storage] sets no object_lock_days", s.Store)
	case "off":
		if s.LockDays > 0 {
			return fail(fmt.Sprintf("enable Object Lock on bucket %s (aws s3api put-object-lock-configuration --bucket %s --object-lock-configuration ObjectLockEnabled=Enabled, versioning must be on; or create a new bucket with --object-lock-enabled-for-bucket), or remove object_lock_days from [storage]", s.Bucket, s.Bucket),
				"object_lock_days = %d but bucket %q has no Object Lock: every upload with a retention date will be refused", s.LockDays, s.Bucket)
		}
		return ok("object lock off on bucket %q; [storage] sets no object_lock_days", s.Bucket)
	}
	detail := "object lock on, no default retention"
	if l.days > 0 {
		detail = "object lock on with default retention " + l.retention()
	}
	switch {
	case s.LockDays > 0:
		detail += fmt.Sprintf("; backups are written with %s retention of %d days (object_lock_days)", mode, s.LockDays)
	case l.days > 0:
		detail += "; [storage] sets no object_lock_days: objects get the bucket's default retention"
	default:
		detail += "; [storage] sets no object_lock_days: backups are not locked"
	}
	// An upload with its own retention date ignores the bucket's default.
	locked, what := l.days, "the bucket's default retention"
	if s.LockDays > 0 {
		locked, what = s.LockDays, "object_lock_days"
	}
	if locked > 0 && s.MaxBackupAge > 0 && locked > s.MaxBackupAge {
		return warn(fmt.Sprintf("make max_backup_age at least %d days, or shorten %s: purge cannot delete a locked object before its retention ends (it keeps the backup and says so)", locked, what),
			"%s; longer than max_backup_age = %d days", detail, s.MaxBackupAge)
	}
	if locked > 0 && s.MaxBackupAge == 0 && s.MaxBackupCount > 0 {
		detail += fmt.Sprintf("; purge by max_backup_count keeps backups younger than %d days whatever their count", locked)
	}
	return ok("%s", detail)
}
