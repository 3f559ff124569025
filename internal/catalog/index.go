package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
)

// indexListing is one listing of (part of) P index/backup_index/.
type indexListing struct {
	entries []layout.IndexEntry
	info    map[string]storage.ObjectInfo
}

// listIndex lists the index keys under prefix (one paginated List) and
// parses them; keys Medusa would not read are logged and skipped.
func (c *Catalog) listIndex(ctx context.Context, prefix string) (indexListing, error) {
	var keys []string
	info := map[string]storage.ObjectInfo{}
	for obj, err := range c.Backend.List(ctx, prefix) {
		if err != nil {
			return indexListing{}, fmt.Errorf("list backup index %s: %w", prefix, err)
		}
		keys = append(keys, obj.Key)
		info[obj.Key] = obj
	}
	entries, ignored := c.layout().ParseIndexKeys(keys)
	for _, k := range ignored {
		c.log().Warn(k.Warning())
	}
	return indexListing{entries: entries, info: info}, nil
}

// node is a node backup being resolved, with whether its meta/schema.cql
// is known to exist.
type node struct {
	layout.NodeBackup
	exists bool
}

// resolveNodes turns an index listing into the node backups that exist,
// applying Medusa's fallbacks:
//   - no started_ entry: the LastModified of the index's schema_ entry, else
//     of meta/schema.cql (HEAD); a node backup without either is dropped;
//   - no finished_ entry: the LastModified of the index's manifest_ entry,
//     else of meta/manifest.json (HEAD); without either it is unfinished;
//   - in start order, meta/schema.cql is checked (HEAD) until one exists;
//     the node backups found missing before it are dropped (and, with Heal,
//     removed from the index). Later ones are assumed to exist, as Medusa
//     does to save requests.
func (c *Catalog) resolveNodes(ctx context.Context, idx indexListing) ([]layout.NodeBackup, error) {
	l := c.layout()
	nodes := make([]node, 0)
	for _, n := range layout.NodeBackups(idx.entries) {
		nodes = append(nodes, node{NodeBackup: n})
	}
	err := forEach(ctx, len(nodes), c.Concurrency, func(ctx context.Context, i int) error {
		n := &nodes[i]
		if n.Started == nil {
			if e, ok := idx.info[n.SchemaKey]; ok {
				n.Started = ptr(e.ModTime.Unix())
			} else {
				info, ok, err := c.stat(ctx, l.SchemaKey(n.FQDN, n.Name))
				if err != nil {
					return err
				}
				if ok {
					n.Started, n.exists = ptr(info.ModTime.Unix()), true
				}
			}
		}
		if n.Finished == nil && n.Started != nil {
			if e, ok := idx.info[n.ManifestKey]; ok {
				n.Finished = ptr(e.ModTime.Unix())
			} else {
				info, ok, err := c.stat(ctx, l.ManifestKey(n.FQDN, n.Name))
				if err != nil {
					return err
				}
				if ok {
					n.Finished = ptr(info.ModTime.Unix())
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	nodes = slices.DeleteFunc(nodes, func(n node) bool { return n.Started == nil })
	sort.SliceStable(nodes, func(i, j int) bool { return *nodes[i].Started < *nodes[j].Started })
	gone, err := c.firstExisting(ctx, nodes)
	if err != nil {
		return nil, err
	}
	for _, n := range nodes[:gone] {
		c.log().Debug(fmt.Sprintf("Backup %s for fqdn %s present only in index", n.Name, n.FQDN))
		if c.Heal {
			c.removeFromIndex(ctx, idx, n.Name, n.FQDN)
		}
	}
	out := make([]layout.NodeBackup, 0, len(nodes)-gone)
	for _, n := range nodes[gone:] {
		out = append(out, n.NodeBackup)
	}
	return out, nil
}

// firstExisting returns the position of the first node backup (in the
// given start order) whose meta/schema.cql exists, or len(nodes).
func (c *Catalog) firstExisting(ctx context.Context, nodes []node) (int, error) {
	l := c.layout()
	for i, n := range nodes {
		if n.exists {
			return i, nil
		}
		_, ok, err := c.stat(ctx, l.SchemaKey(n.FQDN, n.Name))
		if err != nil {
			return 0, err
		}
		if ok {
			return i, nil
		}
	}
	return len(nodes), nil
}

// removeFromIndex deletes the index entries of one node backup (exact
// fqdn match). Failures are logged: healing is best effort.
func (c *Catalog) removeFromIndex(ctx context.Context, idx indexListing, backup, fqdn string) {
	keys := layout.NodeIndexKeys(idx.entries, backup, fqdn)
	if len(keys) == 0 {
		return
	}
	if err := c.Backend.DeleteMany(ctx, keys); err != nil {
		c.log().Warn("could not remove stale index entries", "backup", backup, "fqdn", fqdn, "error", err)
		return
	}
	c.log().Info(fmt.Sprintf("Removed backup %s of %s from the index: its meta/schema.cql no longer exists", backup, fqdn))
}

func ptr(v int64) *int64 { return &v }

// ClusterBackups returns every cluster backup of the index, ordered by
// name, with each backup's Tokenmap loaded (the index tokenmap_ entry of its
// first node backup), so completion, node counts and start/finish times
// are known. Sizes, object counts and server versions are not loaded: call
// LoadDetails for the backups whose output needs them.
//
// Storage requests: one List of P index/backup_index/, one GET per
// distinct tokenmap content (one per cluster backup when the store's
// listing shows no content MD5; see tokenmapReader), plus HEADs only for
// node backups lacking index entries (see resolveNodes) and at least one
// HEAD of a meta/schema.cql.
func (c *Catalog) ClusterBackups(ctx context.Context) ([]layout.ClusterBackup, error) {
	return c.clusterBackups(ctx, c.layout().BackupIndexListPrefix()+"/")
}

// ClusterBackup returns the cluster backup named name, reading only the
// index entries of that backup. It fails with layout.ErrBackupNotFound when the
// index has no node backup of that name.
func (c *Catalog) ClusterBackup(ctx context.Context, name string) (layout.ClusterBackup, error) {
	if err := layout.ValidateBackupName(name); err != nil {
		return layout.ClusterBackup{}, fmt.Errorf("%w: %v", layout.ErrBackupNotFound, err)
	}
	backups, err := c.clusterBackups(ctx, c.layout().BackupIndexPrefix(name))
	if err != nil {
		return layout.ClusterBackup{}, err
	}
	if cb, ok := layout.FindClusterBackup(backups, name); ok {
		return cb, nil
	}
	return layout.ClusterBackup{}, fmt.Errorf("%w: the backup %s does not exist", layout.ErrBackupNotFound, name)
}

func (c *Catalog) clusterBackups(ctx context.Context, prefix string) ([]layout.ClusterBackup, error) {
	idx, err := c.listIndex(ctx, prefix)
	if err != nil {
		return nil, err
	}
	if len(idx.entries) == 0 && prefix == c.layout().BackupIndexListPrefix()+"/" {
		c.log().Info(`No backups found in index. Consider running "medusa build-index" if you have some backups`)
	}
	nodes, err := c.resolveNodes(ctx, idx)
	if err != nil {
		return nil, err
	}
	backups := layout.ClusterBackups(nodes)
	tokenmaps := newTokenmapReader(idx.info, c.tokenmapAt)
	err = forEach(ctx, len(backups), c.Concurrency, func(ctx context.Context, i int) error {
		key := backups[i].First().TokenmapKey
		t, err := tokenmaps.get(ctx, key)
		if err != nil {
			if ctx.Err() != nil || !isContentProblem(err) {
				return err
			}
			c.log().Warn("cannot read the tokenmap of backup "+backups[i].Name+"; it counts as incomplete",
				"key", key, "error", err)
			return nil
		}
		backups[i].Tokenmap = &t
		return nil
	})
	if err != nil {
		return nil, err
	}
	return backups, nil
}

// LoadDetails fills, for every node backup of backups, the server version
// (meta/server_version.json) and, for finished ones, Size and NumObjects
// from the manifest (the index's manifest_ entry, else meta/manifest.json).
// Reads run concurrently. A node backup whose manifest is missing or
// unparsable is logged with the manifest's key and no longer counts as
// finished (Finished is cleared): its figures stay 0.
func (c *Catalog) LoadDetails(ctx context.Context, backups []layout.ClusterBackup) error {
	return c.loadDetails(ctx, backups, false)
}

// LoadDetailsAndCheck is LoadDetails reading each node backup's own
// meta/manifest.json (the one a restore reads, not the index's copy),
// followed, for every finished node backup, by a check of its data objects
// (see checkData): the node backup's Damage says which objects of its
// manifest are not stored or stored with another size, and a damaged node
// backup makes its cluster backup not complete. It costs one listing of
// each data path (a page per 1,000 objects), never a request per object.
func (c *Catalog) LoadDetailsAndCheck(ctx context.Context, backups []layout.ClusterBackup) error {
	return c.loadDetails(ctx, backups, true)
}

func (c *Catalog) loadDetails(ctx context.Context, backups []layout.ClusterBackup, check bool) error {
	var nodes []*layout.NodeBackup
	for b := range backups {
		for n := range backups[b].Nodes {
			nodes = append(nodes, &backups[b].Nodes[n])
		}
	}
	// manifests[i] is node i's manifest, kept only for the data check.
	manifests := make([]layout.Manifest, len(nodes))
	l := c.layout()
	err := forEach(ctx, len(nodes), c.Concurrency, func(ctx context.Context, i int) error {
		nb := nodes[i]
		v, err := c.ServerVersion(ctx, nb.Name, nb.FQDN)
		if err != nil {
			return err
		}
		nb.ServerVersion = v
		if !nb.IsFinished() {
			return nil
		}
		// The index's copy of the manifest saves nothing but is what
		// Medusa reads; the check reads meta/manifest.json, which a
		// restore reads: index entries left behind by a backup whose files
		// were deleted do not pass.
		key := nb.ManifestKey
		if key == "" || check {
			key = l.ManifestKey(nb.FQDN, nb.Name)
		}
		m, err := c.manifestAt(ctx, key)
		if err != nil {
			if ctx.Err() != nil || !isContentProblem(err) {
				return err
			}
			// Every object a backup names is in its manifest: without a
			// readable one, the node backup cannot be restored or
			// verified, so it does not count as finished.
			c.log().Warn("node backup "+nb.FQDN+" of "+nb.Name+" counts as incomplete: its manifest cannot be read",
				"key", key, "error", err)
			nb.Finished = nil
			return nil
		}
		nb.Size, nb.NumObjects = m.Stats()
		if check {
			manifests[i] = m
		}
		return nil
	})
	if err != nil || !check {
		return err
	}
	return c.checkData(ctx, nodes, manifests)
}

// isContentProblem reports errors that concern one object (missing, or
// not parsable) rather than the store as a whole.
func isContentProblem(err error) bool {
	return errors.Is(err, storage.ErrNotExist) || errors.Is(err, errMalformed)
}
