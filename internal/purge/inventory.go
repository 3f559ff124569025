package purge

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/medusa-go/medusa/internal/commitlog"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
)

// Index is one listing of P index/backup_index/.
type Index struct {
	Entries []layout.IndexEntry
	Info    map[string]storage.ObjectInfo
}

// ListIndex lists and parses the backup index (one paginated List).
func (e *Executor) ListIndex(ctx context.Context) (Index, error) {
	l := e.layout()
	prefix := l.BackupIndexListPrefix() + "/"
	idx := Index{Info: map[string]storage.ObjectInfo{}}
	var keys []string
	for obj, err := range e.Backend.List(ctx, prefix) {
		if err != nil {
			return Index{}, fmt.Errorf("list the backup index %s: %w", prefix, err)
		}
		keys = append(keys, obj.Key)
		idx.Info[obj.Key] = obj
	}
	var ignored []layout.IgnoredKey
	idx.Entries, ignored = l.ParseIndexKeys(keys)
	for _, k := range ignored {
		e.log().Warn(k.Warning())
	}
	return idx, nil
}

// nodeBackup is one node backup with every key that deleting it removes.
type nodeBackup struct {
	Backup
	// finishKeys are the index finished_ and manifest_ entries: deleted
	// first, so that the backup stops listing as finished.
	finishKeys []string
	// indexKeys are the node backup's other index entries.
	indexKeys []string
	// schema and manifest are meta/schema.cql and meta/manifest.json.
	schema, manifest *storage.ObjectInfo
	// tokenmap is meta/tokenmap.json, pitr meta/pitr.json.
	tokenmap, pitr *storage.ObjectInfo
	// objects are the other objects under P<fqdn>/<backup>/ (meta files,
	// full-mode data).
	objects []storage.ObjectInfo
	// indexManifest and indexTokenmap are the index copies ("" if none).
	indexManifest, indexTokenmap string
	// startedFromIndex and finishedFromIndex are the epochs of the index's
	// started_ and finished_ entries.
	startedFromIndex, finishedFromIndex *int64
}

// Node is one node's backups and differential pool.
type Node struct {
	FQDN    string
	backups map[string]*nodeBackup
	// Pool is the node's differential pool, P<fqdn>/data/.
	Pool []storage.ObjectInfo
	// Commitlogs are the node's archived commit log segments and their
	// sidecars, P<fqdn>/commitlogs/ (a name no backup may take).
	Commitlogs []storage.ObjectInfo
}

// Backups returns the node's backups, ordered by name.
func (n *Node) Backups() []Backup {
	out := make([]Backup, 0, len(n.backups))
	for _, name := range n.names() {
		out = append(out, n.backups[name].Backup)
	}
	return out
}

func (n *Node) names() []string {
	names := make([]string, 0, len(n.backups))
	for name := range n.backups {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// ListNode lists P<fqdn>/ (one paginated List) and builds the node's
// state from it and the index. The index must be listed first: a backup
// writes meta/schema.cql before its index entries, so every node backup
// the index names is then visible in the node listing unless it is gone.
func (e *Executor) ListNode(ctx context.Context, idx Index, fqdn string) (*Node, error) {
	if err := layout.ValidateFQDN(fqdn); err != nil {
		return nil, err
	}
	prefix := e.layout().NodePrefix(fqdn)
	var objs []storage.ObjectInfo
	for obj, err := range e.Backend.List(ctx, prefix) {
		if err != nil {
			return nil, fmt.Errorf("list the objects of node %s: %w", fqdn, err)
		}
		objs = append(objs, obj)
	}
	return buildNode(e.layout(), idx, fqdn, objs), nil
}

// buildNode sorts the objects of P<fqdn>/ into the pool and backup
// directories and attaches the index entries of fqdn (exact match).
func buildNode(l layout.Layout, idx Index, fqdn string, objs []storage.ObjectInfo) *Node {
	n := &Node{FQDN: fqdn, backups: map[string]*nodeBackup{}}
	get := func(name string) *nodeBackup {
		b := n.backups[name]
		if b == nil {
			b = &nodeBackup{Backup: Backup{Name: name, FQDN: fqdn}}
			n.backups[name] = b
		}
		return b
	}
	prefix := l.NodePrefix(fqdn)
	for _, o := range objs {
		rel, ok := strings.CutPrefix(o.Key, prefix)
		if !ok {
			continue
		}
		segs := strings.Split(rel, "/")
		switch {
		case len(segs) == 3 && segs[0] == "data" && segs[1] == "meta":
			get("data").addObject(o, segs) // meta of a backup named "data"
		case segs[0] == "data":
			n.Pool = append(n.Pool, o)
		case len(segs) == 3 && segs[0] == commitlog.Dir && segs[1] == "meta":
			get(segs[0]).addObject(o, segs) // meta of a backup Python Medusa let be named so
		case segs[0] == commitlog.Dir:
			n.Commitlogs = append(n.Commitlogs, o)
		case len(segs) >= 2 && segs[0] != "":
			get(segs[0]).addObject(o, segs)
		}
	}
	for _, ent := range idx.Entries {
		if ent.FQDN == fqdn {
			get(ent.Backup).addIndexEntry(ent)
		}
	}
	for _, b := range n.backups {
		b.resolve(idx)
	}
	return n
}

func (b *nodeBackup) addObject(o storage.ObjectInfo, segs []string) {
	if len(segs) == 3 && segs[1] == "meta" {
		switch segs[2] {
		case layout.SchemaFile:
			b.schema = &o
			return
		case layout.ManifestFile:
			b.manifest = &o
			return
		case layout.TokenmapFile:
			b.tokenmap = &o
		case commitlog.MetaFile:
			b.pitr = &o
		case layout.DifferentialFile, layout.IncrementalFile:
			b.Differential = true
		}
	}
	b.objects = append(b.objects, o)
}

func (b *nodeBackup) addIndexEntry(ent layout.IndexEntry) {
	switch ent.Kind {
	case layout.KindFinished:
		if b.finishedFromIndex == nil {
			b.finishedFromIndex = &ent.Epoch
		}
		b.finishKeys = append(b.finishKeys, ent.Key)
		return
	case layout.KindManifest:
		b.indexManifest = ent.Key
		b.finishKeys = append(b.finishKeys, ent.Key)
		return
	case layout.KindStarted:
		if b.startedFromIndex == nil {
			b.startedFromIndex = &ent.Epoch
		}
	case layout.KindTokenmap:
		b.indexTokenmap = ent.Key
	case layout.KindDifferential, layout.KindIncremental:
		b.Differential = true
	}
	b.indexKeys = append(b.indexKeys, ent.Key)
}

// resolve sets Started, Finished and Leftover with Medusa's fallbacks.
func (b *nodeBackup) resolve(idx Index) {
	b.Leftover = b.schema == nil
	switch {
	case b.startedFromIndex != nil:
		b.Started = *b.startedFromIndex
	case b.schema != nil:
		b.Started = b.schema.ModTime.Unix()
	}
	switch {
	case b.Leftover:
	case b.finishedFromIndex != nil:
		b.Finished = b.finishedFromIndex
	case b.indexManifest != "":
		b.Finished = ptr(idx.Info[b.indexManifest].ModTime.Unix())
	case b.manifest != nil:
		b.Finished = ptr(b.manifest.ModTime.Unix())
	}
}

func ptr(v int64) *int64 { return &v }

// phases returns, in deletion order, the key groups of the node backup:
// index finish entries; meta/manifest.json and meta/schema.cql; the other
// objects of the backup directory; the other index entries.
func (b *nodeBackup) phases() [4][]string {
	var p [4][]string
	p[0] = append(p[0], b.finishKeys...)
	for _, o := range []*storage.ObjectInfo{b.manifest, b.schema} {
		if o != nil {
			p[1] = append(p[1], o.Key)
		}
	}
	for _, o := range b.objects {
		p[2] = append(p[2], o.Key)
	}
	p[3] = append(p[3], b.indexKeys...)
	return p
}

// size returns the number and total size of the objects deleting the
// backup removes (index entries included).
func (b *nodeBackup) size(idx Index) (objects int, bytes int64) {
	for _, o := range []*storage.ObjectInfo{b.manifest, b.schema} {
		if o != nil {
			objects, bytes = objects+1, bytes+o.Size
		}
	}
	for _, o := range b.objects {
		objects, bytes = objects+1, bytes+o.Size
	}
	for _, k := range append(append([]string(nil), b.finishKeys...), b.indexKeys...) {
		objects, bytes = objects+1, bytes+idx.Info[k].Size
	}
	return objects, bytes
}
