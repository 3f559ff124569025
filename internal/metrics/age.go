package metrics

import (
	"context"
	"fmt"
	"time"

	"github.com/medusa-go/medusa/internal/catalog"
)

// LastCompleteBackup returns when the last complete backup of node fqdn
// finished, as the bucket says: the backup its latest-backup marker names
// (a GET and one index listing) or, when there is no usable marker, the
// newest finished node backup of fqdn in the index. ok is false when the
// node has no finished backup.
func LastCompleteBackup(ctx context.Context, cat *catalog.Catalog, fqdn string) (last time.Time, ok bool, err error) {
	n, ok, err := cat.LatestNodeBackup(ctx, fqdn)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read the latest backup of %s: %w", fqdn, err)
	}
	if ok && n.Finished != nil {
		return time.Unix(*n.Finished, 0), true, nil
	}
	backups, err := cat.ClusterBackups(ctx)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("list the backups of %s: %w", fqdn, err)
	}
	var newest int64
	ok = false
	for _, cb := range backups {
		if nb, found := cb.Node(fqdn); found && nb.Finished != nil && *nb.Finished > newest {
			newest, ok = *nb.Finished, true
		}
	}
	if !ok {
		return time.Time{}, false, nil
	}
	return time.Unix(newest, 0), true, nil
}

// CheckBackupAge reads the node's last complete backup from cat (see
// LastCompleteBackup) and records it (BackupAge). On a nil Run it does
// nothing; when storage cannot be read the age file is left as it was
// and the error returned.
func (r *Run) CheckBackupAge(ctx context.Context, cat *catalog.Catalog) error {
	if r == nil {
		return nil
	}
	last, ok, err := LastCompleteBackup(ctx, cat, r.Node)
	if err != nil {
		return err
	}
	r.BackupAge(last, ok)
	return nil
}
