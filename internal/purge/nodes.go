package purge

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/medusa-go/medusa/internal/storage"
)

// BucketNodeList is what BucketNodes found.
type BucketNodeList struct {
	// Names are the nodes that have something in the bucket, sorted.
	Names []string
	// Objects are the objects under P<fqdn>/ of each node not skipped.
	Objects map[string][]storage.ObjectInfo
	// Ignored are top-level names under the prefix that are not nodes
	// (e.g. other tenants' prefixes in a bucket used without a prefix).
	Ignored []string
}

// BucketNodes finds the nodes that have backups in the bucket: the fqdns
// of the index and of index/latest_backup/, and every top-level name
// under the prefix holding a meta file (P<name>/<backup>/meta/<file>), a
// pool file (P<name>/data/<keyspace>/<table>/[<sub>/]<file>) or an
// archived commit log sidecar (P<name>/commitlogs/<...>.log.json). Other
// top-level names are ignored: with no prefix they may be other tenants'
// prefixes (Medusa takes every second key segment, which breaks without a
// prefix). The objects of the nodes in skip are not kept.
func (e *Executor) BucketNodes(ctx context.Context, idx Index, skip []string) (BucketNodeList, error) {
	l := e.layout()
	found := map[string]bool{}
	for _, ent := range idx.Entries {
		found[ent.FQDN] = true
	}
	latest := l.IndexPrefix() + "latest_backup/"
	for obj, err := range e.Backend.List(ctx, latest) {
		if err != nil {
			return BucketNodeList{}, fmt.Errorf("list %s: %w", latest, err)
		}
		if f, _, ok := strings.Cut(strings.TrimPrefix(obj.Key, latest), "/"); ok && f != "" {
			found[f] = true
		}
	}
	objects := map[string][]storage.ObjectInfo{}
	seen := map[string]bool{}
	for obj, err := range e.Backend.List(ctx, l.KeyPrefix()) {
		if err != nil {
			return BucketNodeList{}, fmt.Errorf("list the bucket under %q: %w", l.KeyPrefix(), err)
		}
		segs := strings.Split(strings.TrimPrefix(obj.Key, l.KeyPrefix()), "/")
		if segs[0] == "index" || segs[0] == "" || len(segs) < 2 {
			continue
		}
		f := segs[0]
		seen[f] = true
		if e.isNodeKey(obj.Key, segs) {
			found[f] = true
		}
		if !slices.Contains(skip, f) {
			objects[f] = append(objects[f], obj)
		}
	}
	var out BucketNodeList
	out.Objects = map[string][]storage.ObjectInfo{}
	for f := range found {
		out.Names = append(out.Names, f)
		if objs, ok := objects[f]; ok {
			out.Objects[f] = objs
		}
	}
	for f := range seen {
		if !found[f] {
			out.Ignored = append(out.Ignored, f)
		}
	}
	slices.Sort(out.Names)
	slices.Sort(out.Ignored)
	for _, f := range out.Ignored {
		e.log().Info(fmt.Sprintf("Ignoring %s%s/: no Medusa node backup under it", l.KeyPrefix(), f))
	}
	return out, nil
}

// isNodeKey reports whether a key (segs: its segments after the prefix)
// is a meta file of a node backup, a file of a node's pool or the sidecar
// of an archived commit log segment.
func (e *Executor) isNodeKey(key string, segs []string) bool {
	if len(segs) == 4 && segs[2] == "meta" && segs[1] != "" && segs[3] != "" {
		return true
	}
	if isCommitlogKey(strings.Join(segs, "/"), segs) {
		return true
	}
	if segs[1] != "data" {
		return false
	}
	ref, err := e.layout().ParseDataKey(key)
	return err == nil && ref.Pool()
}
