package catalog

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/checksum"
)

// dataPrefix returns where the data objects of node backup n are: the
// pool P<fqdn>/data/ for a differential backup, P<fqdn>/<backup>/data/
// for a full one.
func (c *Catalog) dataPrefix(n layout.NodeBackup) string {
	if n.Differential {
		return c.layout().PoolPrefix(n.FQDN)
	}
	return c.layout().DataPrefix(n.FQDN, n.Name)
}

// listData lists the data path of node backup n once and returns its
// objects by key, *-Statistics.db files left out (see unchecked).
func (c *Catalog) listData(ctx context.Context, n layout.NodeBackup) (map[string]storage.ObjectInfo, error) {
	out := map[string]storage.ObjectInfo{}
	err := c.eachData(ctx, c.dataPrefix(n), func(obj storage.ObjectInfo) { out[obj.Key] = obj })
	return out, err
}

// eachData calls fn for every object under prefix (one paginated listing),
// *-Statistics.db files left out.
func (c *Catalog) eachData(ctx context.Context, prefix string, fn func(storage.ObjectInfo)) error {
	for obj, err := range c.Backend.List(ctx, prefix) {
		if err != nil {
			return fmt.Errorf("list %s: %w", prefix, err)
		}
		if !unchecked(obj.Key) {
			fn(obj)
		}
	}
	return nil
}

// unchecked reports the data files verify and the data check ignore, as
// Medusa's verify does: *-Statistics.db, which Cassandra rewrites.
func unchecked(key string) bool { return strings.Contains(key, "-Statistics.db") }

// mayBeRebuilt reports the data files that may differ from the manifest
// without harm: *-Summary.db, which Cassandra rebuilds when needed (verify
// only warns about them, and the data check ignores their size).
func mayBeRebuilt(key string) bool { return strings.Contains(key, "-Summary.db") }

// expected is one manifest object a node backup expects under a data
// path.
type expected struct {
	node int
	obj  *layout.Object
	seen bool
}

// checkData sets the Damage of every node backup i with a manifest
// (manifests[i] != nil): an object of the manifest that the store does
// not list is missing, one listed with another size is resized (both
// damage: a restore would refuse the backup), one listed with the
// manifest's size but another store hash was stored again (perhaps with
// the same bytes; only reading it tells, as verify --enable-md5-checks
// does). The rules are verify's without MD5 checks.
//
// Each data path is listed once, however many of the node backups share
// it (the differential backups of a node share its pool), and the listing
// is streamed against the manifests: memory follows the manifests, not the
// pool. Objects a manifest names outside its node backup's data path (no
// backup of ours writes such manifests) are looked up one by one.
func (c *Catalog) checkData(ctx context.Context, nodes []*layout.NodeBackup, manifests []layout.Manifest) error {
	groups := map[string][]int{}
	for i, m := range manifests {
		if m != nil {
			p := c.dataPrefix(*nodes[i])
			groups[p] = append(groups[p], i)
		}
	}
	prefixes := slices.Sorted(maps.Keys(groups))
	return forEach(ctx, len(prefixes), c.Concurrency, func(ctx context.Context, g int) error {
		prefix := prefixes[g]
		want := map[string][]*expected{}
		var outside []*expected
		for _, i := range groups[prefix] {
			for s := range manifests[i] {
				for o := range manifests[i][s].Objects {
					obj := &manifests[i][s].Objects[o]
					if unchecked(obj.Path) {
						continue
					}
					e := &expected{node: i, obj: obj}
					if strings.HasPrefix(obj.Path, prefix) {
						want[obj.Path] = append(want[obj.Path], e)
					} else {
						outside = append(outside, e)
					}
				}
			}
		}
		err := c.eachData(ctx, prefix, func(info storage.ObjectInfo) {
			for _, e := range want[info.Key] {
				e.seen = true
				compareListed(&nodes[e.node].Damage, info, e.obj)
			}
		})
		if err != nil {
			return fmt.Errorf("check the data of %s: %w", nodes[groups[prefix][0]].FQDN, err)
		}
		for _, e := range outside {
			info, ok, err := c.stat(ctx, e.obj.Path)
			if err != nil {
				return fmt.Errorf("check the data of %s: %w", nodes[e.node].FQDN, err)
			}
			if e.seen = ok; ok {
				compareListed(&nodes[e.node].Damage, info, e.obj)
			}
		}
		// Missing objects in manifest order.
		for _, i := range groups[prefix] {
			for _, s := range manifests[i] {
				for _, o := range s.Objects {
					if !unchecked(o.Path) && !seenBy(want[o.Path], i) && strings.HasPrefix(o.Path, prefix) {
						nodes[i].Damage.AddMissing(o.Path)
					}
				}
			}
		}
		for _, e := range outside {
			if !e.seen {
				nodes[e.node].Damage.AddMissing(e.obj.Path)
			}
		}
		return nil
	})
}

// seenBy reports whether the listing showed the object es expect for node i.
func seenBy(es []*expected, i int) bool {
	for _, e := range es {
		if e.node == i && e.seen {
			return true
		}
	}
	return false
}

// compareListed records in d what the stored object info says of the
// manifest object o: another size (except for files Cassandra rebuilds),
// or the same size and another store hash.
func compareListed(d *layout.DataDamage, info storage.ObjectInfo, o *layout.Object) {
	switch {
	case info.Size != o.Size:
		if !mayBeRebuilt(o.Path) {
			d.AddResized(o.Path)
		}
	case o.MD5 != nil && *o.MD5 != "" && info.Hash != "" && !checksum.Equal(info.Hash, *o.MD5):
		d.StoredAgain++
	}
}

// maxCheckBatch bounds how many cluster backups LatestCheckedComplete
// checks at once (their manifests are held meanwhile).
const maxCheckBatch = 8

// LatestCheckedComplete returns, among backups (as ClusterBackups gives
// them), the complete cluster backup that finished last and still counts
// as complete once its details are loaded and its data checked
// (LoadDetailsAndCheck), with its details. skipped are the cluster backups
// that finished later and were found incomplete (an unreadable manifest)
// or damaged, newest first. ok is false when no backup passes.
//
// Candidates are checked newest first in batches of 1, 2, 4 and then 8
// backups: usually the newest one passes and costs one listing of each
// node's data path; when a deleted pool object damaged many differential
// backups at once, a batch shares each pool listing.
func (c *Catalog) LatestCheckedComplete(ctx context.Context, backups []layout.ClusterBackup) (
	latest layout.ClusterBackup, ok bool, skipped []layout.ClusterBackup, err error) {
	var candidates []layout.ClusterBackup
	for _, cb := range backups {
		if cb.Finished() != nil {
			candidates = append(candidates, cb)
		}
	}
	// Newest finish first; on ties the first in backups, as
	// layout.LatestCompleteClusterBackup picks.
	slices.SortStableFunc(candidates, func(a, b layout.ClusterBackup) int {
		return cmp.Compare(*b.Finished(), *a.Finished())
	})
	for start, size := 0, 1; start < len(candidates); start, size = start+size, min(2*size, maxCheckBatch) {
		batch := slices.Clone(candidates[start:min(start+size, len(candidates))])
		for i := range batch {
			batch[i].Nodes = slices.Clone(batch[i].Nodes)
		}
		if err := c.LoadDetailsAndCheck(ctx, batch); err != nil {
			return layout.ClusterBackup{}, false, skipped, err
		}
		for _, cb := range batch {
			if cb.IsComplete() {
				return cb, true, skipped, nil
			}
			skipped = append(skipped, cb)
		}
	}
	return layout.ClusterBackup{}, false, skipped, nil
}
