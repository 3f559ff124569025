package check

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/medusa-go/medusa/internal/storage"
)

// ContainerLock is what a GCS bucket or an Azure container says of the
// retention that keeps its objects from being deleted.
type ContainerLock struct {
	// NotChecked, when set, says why the store's answer tells nothing
	// (an emulator that does not report it).
	NotChecked string
	// Period is the GCS retention period (zero: no policy); Locked: the
	// policy cannot be shortened or removed.
	Period time.Duration
	Locked bool
	// Azure: a container-level time-based immutability policy (its period
	// is not readable through the Blob API), a legal hold, version-level
	// immutability.
	Policy, LegalHold, VersionLevel bool
}

// checkRetention compares a bucket's retention policy (GCS) or a
// container's immutability (Azure) with the purge retention.
func (s *Storage) checkRetention(ctx context.Context) Result {
	if !s.reachable {
		return skip("the bucket is not reachable (see bucket/reachable)")
	}
	l, err := s.Retention(ctx)
	switch {
	case errors.Is(err, storage.ErrAccessDenied):
		return warn("grant "+s.RetentionAccess+" to see it (backups do not need it)", "cannot tell: %v", err)
	case err != nil:
		return warn("run medusa check again", "%v", err)
	case l.NotChecked != "":
		return skip("not checked: %s", l.NotChecked)
	}
	purges := s.MaxBackupAge > 0 || s.MaxBackupCount > 0
	if l.LegalHold {
		return warn("clear the legal hold when it is no longer needed; until then purge and delete-backup cannot delete any backup",
			"%s has a legal hold: no blob can be deleted or overwritten while it lasts", s.Store)
	}
	if l.Policy {
		detail := fmt.Sprintf("%s has a time-based immutability policy (its period is not readable through the Blob API)", s.Store)
		if l.VersionLevel {
			detail += "; version-level immutability is on"
		}
		if purges {
			return warn("keep max_backup_age above the policy's retention period (az storage container immutability-policy show): purge cannot delete a blob before it ends",
				"%s", detail)
		}
		return ok("%s; [storage] sets no purge retention", detail)
	}
	if l.VersionLevel {
		return ok("%s has version-level immutability on, no container-level policy", s.Store)
	}
	if l.Period <= 0 {
		return ok("%s has no %s", s.Store, s.RetentionWhat)
	}
	days := int((l.Period + 24*time.Hour - 1) / (24 * time.Hour))
	state := "not locked"
	if l.Locked {
		state = "locked"
	}
	detail := fmt.Sprintf("%s has a %s of %s (%s): every object stays at least %d days", s.Store, s.RetentionWhat, l.Period, state, days)
	if s.MaxBackupAge > 0 && days > s.MaxBackupAge {
		return warn(fmt.Sprintf("make max_backup_age at least %d days, or shorten the bucket's retention policy: purge cannot delete an object before its retention ends", days),
			"%s; longer than max_backup_age = %d days", detail, s.MaxBackupAge)
	}
	if s.MaxBackupAge == 0 && s.MaxBackupCount > 0 {
		detail += fmt.Sprintf("; purge by max_backup_count cannot delete backups younger than %d days", days)
	}
	return ok("%s", strings.TrimSpace(detail))
}
