package backup

import (
	"context"

	"github.com/medusa-go/medusa/internal/catalog"
)

// indexStart is stage index-start: the index entries
// tokenmap_, schema_, started_<epoch> and differential_, where epoch is the
// LastModified of meta/schema.cql as the store reports it.
func (r *run) indexStart(ctx context.Context) error {
	started, err := catalog.EpochOf(ctx, r.d.Storage, r.l.SchemaKey(r.o.FQDN, r.o.Name))
	if err != nil {
		return err
	}
	if err := catalog.WriteStarted(ctx, r.d.Storage, r.o.Prefix, r.o.Name, r.o.FQDN,
		r.tokenJSON, r.schema, r.o.Mode == Differential, started); err != nil {
		return err
	}
	return r.dropStaleStarted(ctx, started)
}
