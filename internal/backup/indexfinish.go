package backup

import (
	"context"

	"github.com/medusa-go/medusa/internal/catalog"
)

// indexFinish is stage index-finish: the index entries
// manifest_ and finished_<epoch> (epoch: the LastModified of
// meta/manifest.json), then index/latest_backup/<fqdn>/. The finished_
// entry is what makes the backup list as finished, and it is written only
// after meta/manifest.json.
func (r *run) indexFinish(ctx context.Context) error {
	r.d.Logger.Info("Updating backup index")
	finished, err := catalog.EpochOf(ctx, r.d.Storage, r.l.ManifestKey(r.o.FQDN, r.o.Name))
	if err != nil {
		return err
	}
	if err := catalog.WriteFinished(ctx, r.d.Storage, r.o.Prefix, r.o.Name, r.o.FQDN, r.manifestJSON, finished); err != nil {
		return err
	}
	return catalog.WriteLatest(ctx, r.d.Storage, r.o.Prefix, r.o.FQDN, r.o.Name, r.tokenJSON)
}
