package check

import "testing"

// lockAnswer is AWS's GetObjectLockConfiguration answer with a default
// retention (rule "" : none).
func lockAnswer(rule string) answer {
	return xmlOK(`<ObjectLockConfiguration ` + s3NS + `><ObjectLockEnabled>Enabled</ObjectLockEnabled>` + rule + `</ObjectLockConfiguration>`)
}

func TestObjectLockCheck(t *testing.T) {
	notFound := s3Error(404, "ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket")
	days30 := `<Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Days>30</Days></DefaultRetention></Rule>`
	years1 := `<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Years>1</Years></DefaultRetention></Rule>`
	for _, c := range []struct {
		name                   string
		lock                   answer
		days, maxAge, maxCount int
		status                 Status
		contains               []string
	}{
		{"off-unused", notFound, 0, 0, 0, OK, []string{"object lock off", "sets no object_lock_days"}},
		{"off-configured", notFound, 7, 30, 0, FAIL, []string{"object_lock_days = 7", "has no Object Lock", "put-object-lock-configuration", "remove object_lock_days"}},
		{"unsupported-configured", s3Error(501, "NotImplemented", "not implemented"), 7, 0, 0, FAIL, []string{"does not implement S3 Object Lock"}},
		{"unsupported-unused", s3Error(501, "NotImplemented", "not implemented"), 0, 0, 0, SKIP, nil},
		{"denied", denied, 7, 0, 0, WARN, []string{"lacks s3:GetBucketObjectLockConfiguration"}},
		{"on-configured", lockAnswer(""), 7, 30, 0, OK, []string{"object lock on, no default retention", "GOVERNANCE retention of 7 days"}},
		{"on-longer-than-age", lockAnswer(""), 40, 30, 0, WARN, []string{"longer than max_backup_age = 30 days", "at least 40 days", "object_lock_days"}},
		{"default-longer-than-age", lockAnswer(days30), 0, 14, 0, WARN, []string{"default retention COMPLIANCE 30 days", "max_backup_age = 14", "the bucket's default retention"}},
		{"default-years", lockAnswer(years1), 0, 90, 0, WARN, []string{"GOVERNANCE 1 years", "at least 365 days"}},
		{"default-within-age", lockAnswer(days30), 0, 60, 0, OK, []string{"default retention COMPLIANCE 30 days", "objects get the bucket's default retention"}},
		// object_lock_days overrides the default retention on every upload.
		{"explicit-overrides-default", lockAnswer(days30), 7, 14, 0, OK, []string{"retention of 7 days"}},
		{"count-only", lockAnswer(days30), 0, 0, 5, OK, []string{"purge by max_backup_count keeps backups younger than 30 days"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, _ := awsReplay(t, map[string]answer{"HeadBucket": {status: 200}, "object-lock": c.lock,
				"versioning": xmlOK(`<VersioningConfiguration ` + s3NS + `><Status>Enabled</Status></VersioningConfiguration>`)})
			s.LockDays, s.MaxBackupAge, s.MaxBackupCount = c.days, c.maxAge, c.maxCount
			got := runNamed(t, s, "bucket/reachable", "bucket/versioning", "bucket/object-lock")
			want(t, got, "bucket/object-lock", c.status, c.contains...)
		})
	}
	// The configuration is read once for both lines.
	s, seen := awsReplay(t, map[string]answer{"HeadBucket": {status: 200}, "object-lock": lockAnswer(days30),
		"versioning": xmlOK(`<VersioningConfiguration ` + s3NS + `><Status>Enabled</Status></VersioningConfiguration>`)})
	got := runNamed(t, s, "bucket/reachable", "bucket/versioning", "bucket/object-lock")
	want(t, got, "bucket/versioning", WARN, "object lock on with default retention COMPLIANCE 30 days")
	n := 0
	for _, api := range *seen {
		if api == "object-lock" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("GetObjectLockConfiguration sent %d times, want 1", n)
	}
}
