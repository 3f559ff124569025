package e2e

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/testbed"
)

// TestObjectLockPurge: backups of the real node into a bucket with S3
// Object Lock, with object_lock_days = 1, as the user holding Medusa's
// policy. A manual delete of a locked object is refused; purge (retention
// max_backup_count = 1) and delete-backup keep the locked backup whole,
// say so, and it still verifies; once the retention date has passed
// (shortened by the admin with the governance bypass, as time passing
// would), purge removes it.
func TestObjectLockPurge(t *testing.T) {
	n := testNode(t)
	srv := testbed.S3T(t)
	const bucket, prefix = "medusa-lock", "lock"
	if err := srv.NewLockedBucket(t.Context(), bucket); err != nil {
		t.Fatal(err)
	}
	tg := purgeTarget{name: "s3", s3: srv, root: filepath.Join(srv.Dir, "data", bucket), bucket: bucket}
	m := newPurgeMedusa(t, tg, n, prefix, map[string]string{"object_lock_days": "1", "max_backup_count": "1"})
	m.must("backup", "--backup-name", "l1")
	changeData(t, n, 20, false)
	m.must("backup", "--backup-name", "l2")

	l := layout.New(prefix)
	manifest := l.ManifestKey(n.Host, "l1")
	user, admin := srv.Client(srv.Restricted), srv.Client(srv.Admin)
	ret, err := user.GetObjectRetention(t.Context(), &awss3.GetObjectRetentionInput{Bucket: aws.String(bucket), Key: &manifest})
	if err != nil {
		t.Fatalf("retention of %s: %v", manifest, err)
	}
	if ret.Retention.Mode != types.ObjectLockRetentionModeGovernance ||
		aws.ToTime(ret.Retention.RetainUntilDate).Before(time.Now().Add(23*time.Hour)) {
		t.Errorf("retention of %s = %s until %v, want GOVERNANCE for a day", manifest, ret.Retention.Mode,
			aws.ToTime(ret.Retention.RetainUntilDate))
	}
	if _, err := user.DeleteObject(t.Context(), &awss3.DeleteObjectInput{Bucket: aws.String(bucket), Key: &manifest}); err == nil ||
		!strings.Contains(strings.ToLower(err.Error()), "object lock") {
		t.Errorf("manual delete of the locked %s: %v, want a refusal for object lock", manifest, err)
	}

	out := m.must("--backup-grace-period-in-days", "0", "purge")
	for _, want := range []string{"backup l1 of " + n.Host + " kept", "under object lock retention until",
		"Backups purged: 0", "Backups kept by object lock retention: 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("purge output lacks %q:\n%s", want, out)
		}
	}
	out = m.must("delete-backup", "--backup-name", "l1")
	if !strings.Contains(out, "Backups kept by object lock retention: 1") {
		t.Errorf("delete-backup output:\n%s", out)
	}
	if list := m.must("list-backups"); !strings.Contains(list, "l1 (started") {
		t.Errorf("list-backups lost the locked backup l1:\n%s", list)
	}
	if out := m.must("verify", "--backup-name", "l1"); !strings.Contains(out, "Manifest validated: OK!!") {
		t.Errorf("verify of the kept backup l1:\n%s", out)
	}

	// Time passes: the admin moves every retention date to a few seconds
	// from now (a governance retention may be shortened with the bypass).
	release := time.Now().Add(3 * time.Second).UTC()
	pages := awss3.NewListObjectsV2Paginator(admin, &awss3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix + "/")})
	shortened := 0
	for pages.HasMorePages() {
		page, err := pages.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			_, err := admin.PutObjectRetention(t.Context(), &awss3.PutObjectRetentionInput{Bucket: aws.String(bucket), Key: o.Key,
				BypassGovernanceRetention: aws.Bool(true), Retention: &types.ObjectLockRetention{
					Mode: types.ObjectLockRetentionModeGovernance, RetainUntilDate: &release}})
			if err != nil && !strings.Contains(aws.ToString(o.Key), "latest_backup/") {
				t.Fatalf("shorten the retention of %s: %v", aws.ToString(o.Key), err)
			}
			shortened++
		}
	}
	if shortened == 0 {
		t.Fatal("no object under the prefix")
	}
	time.Sleep(time.Until(release.Add(time.Second)))
	out = m.must("--backup-grace-period-in-days", "0", "purge")
	if !strings.Contains(out, "Backups purged: 1") || strings.Contains(out, "kept by object lock") {
		t.Errorf("purge after the retention date:\n%s", out)
	}
	list := m.must("list-backups")
	if strings.Contains(list, "l1 (started") || !strings.Contains(list, "l2 (started") {
		t.Errorf("list-backups after the purge:\n%s", list)
	}
	if out := m.must("verify", "--backup-name", "l2"); !strings.Contains(out, "Manifest validated: OK!!") {
		t.Errorf("verify l2:\n%s", out)
	}
}
