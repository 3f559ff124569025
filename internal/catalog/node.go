package catalog

import (
	"context"
	"errors"
	"fmt"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
)

// NodeBackup returns the node backup backup of fqdn. It reads the index
// entries of that backup (one List of P index/backup_index/<backup>/) and
// checks that meta/schema.cql exists. A node backup the index does not
// know (never indexed, or written by a crashed run) is read from its meta
// files instead, as Medusa's get_node_backup does: started from
// meta/schema.cql, finished from meta/manifest.json, differential from
// meta/differential or meta/incremental; its index keys are then empty.
// It fails with layout.ErrBackupNotFound when meta/schema.cql does not exist.
func (c *Catalog) NodeBackup(ctx context.Context, backup, fqdn string) (layout.NodeBackup, error) {
	l := c.layout()
	if err := validNames(backup, fqdn); err != nil {
		return layout.NodeBackup{}, fmt.Errorf("%w: %v", layout.ErrBackupNotFound, err)
	}
	idx, err := c.listIndex(ctx, l.BackupIndexPrefix(backup))
	if err != nil {
		return layout.NodeBackup{}, err
	}
	var mine []layout.IndexEntry
	for _, e := range idx.entries {
		if e.Backup == backup && e.FQDN == fqdn {
			mine = append(mine, e)
		}
	}
	idx.entries = mine
	nodes, err := c.resolveNodes(ctx, idx)
	if err != nil {
		return layout.NodeBackup{}, err
	}
	if len(nodes) == 1 {
		return nodes[0], nil
	}
	return c.nodeBackupFromMeta(ctx, backup, fqdn)
}

// nodeBackupFromMeta builds a node backup from its meta files (HEADs only).
func (c *Catalog) nodeBackupFromMeta(ctx context.Context, backup, fqdn string) (layout.NodeBackup, error) {
	l := c.layout()
	schema, ok, err := c.stat(ctx, l.SchemaKey(fqdn, backup))
	if err != nil {
		return layout.NodeBackup{}, err
	}
	if !ok {
		return layout.NodeBackup{}, fmt.Errorf("%w: no backup %s of %s (%s does not exist)",
			layout.ErrBackupNotFound, backup, fqdn, l.SchemaKey(fqdn, backup))
	}
	n := layout.NodeBackup{Name: backup, FQDN: fqdn, Started: ptr(schema.ModTime.Unix())}
	manifest, ok, err := c.stat(ctx, l.ManifestKey(fqdn, backup))
	if err != nil {
		return layout.NodeBackup{}, err
	}
	if ok {
		n.Finished = ptr(manifest.ModTime.Unix())
	}
	for _, key := range []string{l.DifferentialKey(fqdn, backup), l.IncrementalKey(fqdn, backup)} {
		_, ok, err := c.stat(ctx, key)
		if err != nil {
			return layout.NodeBackup{}, err
		}
		if ok {
			n.Differential = true
			break
		}
	}
	return n, nil
}

// LatestNodeBackup returns the node backup index/latest_backup/<fqdn>/
// names (the latest finished backup of fqdn). ok is false when there is no
// marker, or when it names a backup that no longer exists; with Heal the
// markers are then deleted (they are only ever written after a backup
// finished, so no running backup is affected).
func (c *Catalog) LatestNodeBackup(ctx context.Context, fqdn string) (n layout.NodeBackup, ok bool, err error) {
	l := c.layout()
	data, err := c.readAll(ctx, l.LatestBackupNameKey(fqdn))
	if errors.Is(err, storage.ErrNotExist) {
		c.log().Info(fmt.Sprintf("Node %s does not have latest backup", fqdn))
		return layout.NodeBackup{}, false, nil
	}
	if err != nil {
		return layout.NodeBackup{}, false, err
	}
	name := layout.ParseBackupNameContent(data)
	n, err = c.NodeBackup(ctx, name, fqdn)
	if errors.Is(err, layout.ErrBackupNotFound) {
		c.log().Warn("Latest backup points to non-existent backup. Deleting the marker",
			"fqdn", fqdn, "backup", name)
		if c.Heal {
			keys := []string{l.LatestTokenmapKey(fqdn), l.LatestBackupNameKey(fqdn)}
			if derr := c.Backend.DeleteMany(ctx, keys); derr != nil {
				c.log().Warn("could not delete the latest backup markers", "fqdn", fqdn, "error", derr)
			}
		}
		return layout.NodeBackup{}, false, nil
	}
	if err != nil {
		return layout.NodeBackup{}, false, err
	}
	return n, true, nil
}
