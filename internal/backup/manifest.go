package backup

import (
	"context"

	"github.com/medusa-go/medusa/internal/layout"
)

// writeManifest is stage manifest (docs/bucket-format.md, manifest.json): one section per
// table directory of the snapshot, in snapshot order, tables without files
// included; in each, the uploaded objects (upload order: new, then
// re-uploaded) and then the reused ones. Writing meta/manifest.json makes
// the node backup finished; it happens only after every upload succeeded.
func (r *run) writeManifest(ctx context.Context) error {
	m := make(layout.Manifest, len(r.tables))
	for ti, t := range r.tables {
		p := r.plans[ti]
		objs := make([]layout.Object, 0, len(p.uploaded)+len(p.kept))
		objs = append(append(objs, p.uploaded...), p.kept...)
		m[ti] = layout.Section{Keyspace: t.Keyspace, ColumnFamily: t.TableDir, Objects: objs}
	}
	r.res.Manifest = m
	r.res.BytesTotal, _ = m.Stats()
	r.manifestJSON = layout.MarshalManifest(m)
	if err := r.checkPrefix(ctx); err != nil {
		return err
	}
	return r.put(ctx, r.l.ManifestKey(r.o.FQDN, r.o.Name), r.manifestJSON)
}

// checkPrefix runs Deps.CheckPrefix, when set.
func (r *run) checkPrefix(ctx context.Context) error {
	if r.d.CheckPrefix == nil {
		return nil
	}
	return r.d.CheckPrefix(ctx, r.o.Name)
}
