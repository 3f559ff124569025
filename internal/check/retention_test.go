package check

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/storage"
)

func TestContainerRetentionCheck(t *testing.T) {
	day := 24 * time.Hour
	for _, c := range []struct {
		name           string
		lock           ContainerLock
		err            error
		maxAge, maxCnt int
		status         Status
		contains       []string
	}{
		{"gcs-none", ContainerLock{}, nil, 30, 0, OK, []string{"has no retention policy"}},
		{"gcs-within", ContainerLock{Period: 7 * day, Locked: true}, nil, 30, 0, OK, []string{"retention policy of 168h0m0s (locked)", "at least 7 days"}},
		{"gcs-longer", ContainerLock{Period: 90 * day}, nil, 30, 0, WARN, []string{"not locked", "longer than max_backup_age = 30 days", "at least 90 days"}},
		{"gcs-count", ContainerLock{Period: 10 * day}, nil, 0, 5, OK, []string{"purge by max_backup_count cannot delete backups younger than 10 days"}},
		{"azure-policy", ContainerLock{Policy: true, VersionLevel: true}, nil, 30, 0, WARN, []string{"time-based immutability policy", "version-level", "keep max_backup_age above"}},
		{"azure-policy-no-purge", ContainerLock{Policy: true}, nil, 0, 0, OK, []string{"sets no purge retention"}},
		{"azure-legal-hold", ContainerLock{LegalHold: true}, nil, 0, 0, WARN, []string{"legal hold", "cannot delete any backup"}},
		{"azurite", ContainerLock{NotChecked: "the service reports no immutability properties"}, nil, 30, 0, SKIP, []string{"not checked: the service reports"}},
		{"denied", ContainerLock{}, fmt.Errorf("get bucket: %w", storage.ErrAccessDenied), 30, 0, WARN, []string{"cannot tell", "grant storage.buckets.get"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := &Storage{Store: "GCS bucket \"b\"", RetentionWhat: "retention policy", RetentionAccess: "storage.buckets.get",
				MaxBackupAge: c.maxAge, MaxBackupCount: c.maxCnt, reachable: true,
				Retention: func(context.Context) (ContainerLock, error) { return c.lock, c.err }}
			r := s.checkRetention(context.Background())
			want(t, map[string]Result{"bucket/retention": r}, "bucket/retention", c.status, c.contains...)
		})
	}
}
