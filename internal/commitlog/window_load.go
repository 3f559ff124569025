package commitlog

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
)

// ListKeys returns the archived segments of fqdn from one LIST of
// <fqdn>/commitlogs/, without reading any sidecar: a segment is archived
// when both its segment object and its sidecar are listed, and its key
// holds all ComputeWindow needs (id, version, mtime, codec). b is rooted at
// the storage prefix (see Under). Sorted by id.
func ListKeys(ctx context.Context, b storage.Backend, fqdn string) ([]SegmentInfo, error) {
	dir := NodeDir(fqdn)
	type found struct {
		info  SegmentInfo
		sides int
	}
	byBase := map[string]*found{}
	for obj, err := range b.List(ctx, dir) {
		if err != nil {
			return nil, fmt.Errorf("list archived commit logs under %s: %w", dir, err)
		}
		f, mtime, name, kind, err := ParseKey(obj.Key)
		if err != nil || f != fqdn {
			continue
		}
		base := fmt.Sprintf("%013d-%s", mtime, name)
		g := byBase[base]
		if g == nil {
			g = &found{info: SegmentInfo{Name: name.String(), Version: name.Version, ID: name.ID, MtimeMs: mtime}}
			byBase[base] = g
		}
		if kind == KindInfo {
			g.sides |= 1
		} else {
			g.sides |= 2
			g.info.Codec, g.info.StoredSize = kind, obj.Size
		}
	}
	var out []SegmentInfo
	for _, g := range byBase {
		if g.sides == 3 {
			out = append(out, g.info)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ID != out[j].ID {
			return out[i].ID < out[j].ID
		}
		return out[i].MtimeMs < out[j].MtimeMs
	})
	return out, nil
}

// WindowOptions tune LoadWindows.
type WindowOptions struct {
	// Concurrency bounds the requests run at once (default 16).
	Concurrency int
}

// LoadWindows returns the recoverable windows of the nodes fqdns that
// have archived segments (nodes without any are left out), in the order
// of fqdns. backups are the cluster backups of the index: the finished
// node backups of each node are its possible bases, and their
// meta/pitr.json is read only for nodes that have archived segments. A
// pitr.json that cannot be read (other than missing) does not fail the
// window: the backup is left out and named in Unreadable. b is the
// storage under every prefix, l the layout of [storage] prefix.
func LoadWindows(ctx context.Context, b storage.Backend, l layout.Layout, backups []layout.ClusterBackup,
	fqdns []string, o WindowOptions) ([]LoadedWindow, error) {
	limit := o.Concurrency
	if limit <= 0 {
		limit = 16
	}
	root := Under(b, l.KeyPrefix())
	out := make([]LoadedWindow, len(fqdns))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for i, fqdn := range fqdns {
		g.Go(func() error {
			segs, err := ListKeys(gctx, root, fqdn)
			if err != nil || len(segs) == 0 {
				return err
			}
			out[i], err = loadWindow(gctx, b, l, fqdn, nodeBackups(backups, fqdn), segs, limit)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	kept := out[:0]
	for _, w := range out {
		if w.FQDN != "" {
			kept = append(kept, w)
		}
	}
	return kept, nil
}

// LoadedWindow is a Window and the backups whose pitr.json could not be
// read (with the error).
type LoadedWindow struct {
	Window
	Unreadable []string
}

// nodeBackups returns the names of the finished node backups of fqdn.
func nodeBackups(backups []layout.ClusterBackup, fqdn string) []string {
	var names []string
	for _, cb := range backups {
		if n, ok := cb.Node(fqdn); ok && n.Finished != nil {
			names = append(names, n.Name)
		}
	}
	return names
}

func loadWindow(ctx context.Context, b storage.Backend, l layout.Layout, fqdn string, names []string,
	segs []SegmentInfo, limit int) (LoadedWindow, error) {
	var mu sync.Mutex
	var bases []WindowBase
	var unreadable []string
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for _, name := range names {
		g.Go(func() error {
			m, err := ReadMeta(gctx, b, l, fqdn, name)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, ErrNoMeta):
			case err != nil && gctx.Err() == nil:
				unreadable = append(unreadable, err.Error())
			case err == nil:
				bases = append(bases, WindowBase{Backup: name, Meta: m})
			}
			return gctx.Err()
		})
	}
	if err := g.Wait(); err != nil {
		return LoadedWindow{}, err
	}
	sort.Strings(unreadable)
	return LoadedWindow{Window: ComputeWindow(fqdn, bases, segs), Unreadable: unreadable}, nil
}

// Layout returns the window as list-backups and status render it.
func (w Window) Layout() layout.PITRWindow {
	out := layout.PITRWindow{FQDN: w.FQDN, Segments: w.Segments, Why: w.Why}
	for _, s := range w.Spans {
		out.Spans = append(out.Spans, [2]time.Time{s.From, s.To})
	}
	return out
}
