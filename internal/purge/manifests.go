package purge

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
)

// readManifests adds to referenced the paths of every manifest of the
// node's backups that stay: finished, not selected, not leftovers. A
// finished backup whose manifest cannot be read is an error: the pool
// clean-up cannot know what it references.
func (e *Executor) readManifests(ctx context.Context, node *Node, selected map[string]bool, referenced map[string]bool) error {
	var keys []string
	for _, name := range node.names() {
		b := node.backups[name]
		if selected[name] || b.Leftover || !b.IsFinished() {
			continue
		}
		switch {
		case b.manifest != nil:
			keys = append(keys, b.manifest.Key)
		case b.indexManifest != "":
			keys = append(keys, b.indexManifest)
		default:
			return fmt.Errorf("backup %s of node %s: %w (neither meta/manifest.json nor an index copy); "+
				"nothing was deleted", name, node.FQDN, errNoManifest)
		}
	}
	limit := e.Concurrency
	if limit <= 0 {
		limit = 16
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	var mu sync.Mutex
	for _, key := range keys {
		g.Go(func() error {
			data, err := storage.ReadAll(gctx, e.Backend, key)
			if err != nil {
				return err
			}
			m, err := layout.UnmarshalManifest(data)
			if err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			mu.Lock()
			Referenced(referenced, m)
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("node %s: read the manifests of the remaining backups (nothing was deleted): %w",
			node.FQDN, err)
	}
	return nil
}

// fixMarkers keeps index/latest_backup/<fqdn>/ consistent: when it names a
// backup being deleted it is moved to the newest remaining finished backup
// of the node (by finish time), or deleted when none remains. With drop
// (the node left the cluster) it is deleted. Markers naming any other
// backup are left alone: a backup that finished after the listing may
// have just written them.
func (e *Executor) fixMarkers(ctx context.Context, node *Node, selected map[string]bool, drop bool) error {
	l := e.layout()
	markers := []string{l.LatestTokenmapKey(node.FQDN), l.LatestBackupNameKey(node.FQDN)}
	if drop {
		return e.Backend.DeleteMany(ctx, markers)
	}
	data, err := storage.ReadAll(ctx, e.Backend, l.LatestBackupNameKey(node.FQDN))
	if errors.Is(err, storage.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !selected[layout.ParseBackupNameContent(data)] {
		return nil
	}
	var newest *nodeBackup
	for _, name := range node.names() {
		b := node.backups[name]
		if selected[name] || b.Leftover || !b.IsFinished() {
			continue
		}
		if newest == nil || *b.Finished >= *newest.Finished {
			newest = b
		}
	}
	if newest == nil {
		e.log().Info("Deleting the latest backup markers: no finished backup remains", "fqdn", node.FQDN)
		return e.Backend.DeleteMany(ctx, markers)
	}
	key := newest.indexTokenmap
	if newest.tokenmap != nil {
		key = newest.tokenmap.Key
	}
	if key == "" {
		return e.Backend.DeleteMany(ctx, markers)
	}
	tokenmap, err := storage.ReadAll(ctx, e.Backend, key)
	if err != nil {
		return err
	}
	e.log().Info("Moving the latest backup marker", "fqdn", node.FQDN, "backup", newest.Name)
	return catalog.WriteLatest(ctx, e.Backend, e.Prefix, node.FQDN, newest.Name, tokenmap)
}
