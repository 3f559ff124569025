package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
)

// BuildIndexOptions tune BuildIndex.
type BuildIndexOptions struct {
	// FQDNs restricts discovery to these nodes (Medusa passes the hosts of
	// the live tokenmap); empty means every node found under the prefix.
	FQDNs []string
	// Noop prints what would be written and writes nothing.
	Noop bool
	// Concurrency bounds the reads and writes run at once (default 16).
	Concurrency int
	Logger      *slog.Logger
}

// BuildIndexResult summarises a BuildIndex run.
type BuildIndexResult struct {
	// NodeBackups is the number of finished node backups discovered.
	NodeBackups int
	// Written lists the keys written (with Noop: that would be written).
	Written []string
	// Latest maps each fqdn to its latest finished backup.
	Latest map[string]string
	// Noop is set when nothing was written.
	Noop bool
}

// WriteText writes one line per index key: "wrote <key>" or, after a
// Noop run, "would write <key>".
func (r BuildIndexResult) WriteText(w io.Writer) error {
	verb := "wrote"
	if r.Noop {
		verb = "would write"
	}
	for _, k := range r.Written {
		if _, err := fmt.Fprintf(w, "%s %s\n", verb, k); err != nil {
			return err
		}
	}
	return nil
}

// discovered is a node backup found from its meta files.
type discovered struct {
	fqdn, backup           string
	schema, manifest       storage.ObjectInfo
	finished, differential bool
}

// BuildIndex rebuilds the index from the meta files of the node backups in
// storage (Medusa's build-index): it discovers P<fqdn>/<backup>/meta/*
// (listing P<fqdn>/ for each of opts.FQDNs, or all of P once), keeps the
// node backups that have meta/schema.cql and meta/manifest.json, writes the
// index entries each one lacks (an entry kind already present, whatever
// its epoch, is kept) and points index/latest_backup/<fqdn>/ at the
// latest finished backup of each node when it names another one. Epochs
// are the LastModified of schema.cql and manifest.json. Unlike Medusa it
// works with a storage prefix.
//
// The result lists the keys written (with Noop, that would be written);
// its WriteText prints them.
func BuildIndex(ctx context.Context, b storage.Backend, prefix string, opts BuildIndexOptions) (BuildIndexResult, error) {
	l := layout.New(prefix)
	c := &Catalog{Backend: b, Prefix: prefix, Concurrency: opts.Concurrency, Logger: opts.Logger}
	found, err := discover(ctx, b, l, opts.FQDNs)
	if err != nil {
		return BuildIndexResult{}, err
	}
	idx, err := c.listIndex(ctx, l.BackupIndexListPrefix()+"/")
	if err != nil {
		return BuildIndexResult{}, err
	}
	present := map[[2]string]map[layout.IndexKind]bool{}
	for _, e := range idx.entries {
		id := [2]string{e.Backup, e.FQDN}
		if present[id] == nil {
			present[id] = map[layout.IndexKind]bool{}
		}
		present[id][e.Kind] = true
	}
	res := BuildIndexResult{Latest: map[string]string{}, Noop: opts.Noop}
	latest := map[string]discovered{}
	var todo []discovered
	for _, d := range found {
		if !d.finished {
			c.log().Debug(fmt.Sprintf("Backup %s of %s did not finish, not indexed", d.backup, d.fqdn))
			continue
		}
		res.NodeBackups++
		if cur, ok := latest[d.fqdn]; !ok || d.manifest.ModTime.Unix() >= cur.manifest.ModTime.Unix() {
			latest[d.fqdn] = d
		}
		todo = append(todo, d)
	}
	written := make([][]string, len(todo))
	err = forEach(ctx, len(todo), opts.Concurrency, func(ctx context.Context, i int) error {
		d := todo[i]
		keys, err := c.indexNode(ctx, d, present[[2]string{d.backup, d.fqdn}], opts.Noop)
		written[i] = keys
		return err
	})
	if err != nil {
		return res, err
	}
	for _, keys := range written {
		res.Written = append(res.Written, keys...)
	}
	fqdns := make([]string, 0, len(latest))
	for f := range latest {
		fqdns = append(fqdns, f)
	}
	sort.Strings(fqdns)
	for _, f := range fqdns {
		d := latest[f]
		res.Latest[f] = d.backup
		keys, err := c.markLatest(ctx, d, opts.Noop)
		if err != nil {
			return res, err
		}
		res.Written = append(res.Written, keys...)
	}
	return res, nil
}

// discover lists the meta files under l for fqdns (all nodes when empty)
// and returns the node backups having meta/schema.cql, ordered by fqdn
// then backup name.
func discover(ctx context.Context, b storage.Backend, l layout.Layout, fqdns []string) ([]discovered, error) {
	prefixes := []string{l.KeyPrefix()}
	if len(fqdns) > 0 {
		prefixes = prefixes[:0]
		for _, f := range fqdns {
			prefixes = append(prefixes, l.NodePrefix(f))
		}
	}
	byNode := map[[2]string]*discovered{}
	for _, p := range prefixes {
		for obj, err := range b.List(ctx, p) {
			if err != nil {
				return nil, fmt.Errorf("discover backups under %q: %w", p, err)
			}
			parts := strings.Split(strings.TrimPrefix(obj.Key, l.KeyPrefix()), "/")
			if len(parts) != 4 || parts[2] != "meta" || parts[0] == "index" || parts[0] == "" || parts[1] == "" {
				continue
			}
			id := [2]string{parts[0], parts[1]}
			d := byNode[id]
			if d == nil {
				d = &discovered{fqdn: parts[0], backup: parts[1]}
				byNode[id] = d
			}
			switch parts[3] {
			case layout.SchemaFile:
				d.schema = obj
			case layout.ManifestFile:
				d.manifest, d.finished = obj, true
			case layout.DifferentialFile, layout.IncrementalFile:
				d.differential = true
			}
		}
	}
	var out []discovered
	for _, d := range byNode {
		if d.schema.Key == "" || validNames(d.backup, d.fqdn) != nil {
			continue
		}
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].fqdn != out[j].fqdn {
			return out[i].fqdn < out[j].fqdn
		}
		return out[i].backup < out[j].backup
	})
	return out, nil
}

// indexNode writes the index entries d lacks, in the writers' order, and
// returns their keys.
func (c *Catalog) indexNode(ctx context.Context, d discovered, have map[layout.IndexKind]bool, noop bool) ([]string, error) {
	l := c.layout()
	started, finished := d.schema.ModTime.Unix(), d.manifest.ModTime.Unix()
	type entry struct {
		kind layout.IndexKind
		key  string
		data func() ([]byte, error)
	}
	fromMeta := func(file string) func() ([]byte, error) {
		return func() ([]byte, error) { return c.readAll(ctx, l.MetaKey(d.fqdn, d.backup, file)) }
	}
	fixed := func(b []byte) func() ([]byte, error) { return func() ([]byte, error) { return b, nil } }
	entries := []entry{
		{layout.KindTokenmap, l.IndexTokenmapKey(d.backup, d.fqdn), fromMeta(layout.TokenmapFile)},
		{layout.KindSchema, l.IndexSchemaKey(d.backup, d.fqdn), fromMeta(layout.SchemaFile)},
		{layout.KindStarted, l.IndexStartedKey(d.backup, d.fqdn, started), fixed(layout.TimestampContent(started))},
	}
	if d.differential && !have[layout.KindIncremental] {
		entries = append(entries, entry{layout.KindDifferential, l.IndexDifferentialKey(d.backup, d.fqdn),
			fixed([]byte(layout.DifferentialMarker))})
	}
	entries = append(entries,
		entry{layout.KindManifest, l.IndexManifestKey(d.backup, d.fqdn), fromMeta(layout.ManifestFile)},
		entry{layout.KindFinished, l.IndexFinishedKey(d.backup, d.fqdn, finished), fixed(layout.TimestampContent(finished))})
	var keys []string
	for _, e := range entries {
		if have[e.kind] {
			continue
		}
		keys = append(keys, e.key)
		if noop {
			continue
		}
		data, err := e.data()
		if err != nil {
			return keys[:len(keys)-1], fmt.Errorf("index backup %s of %s: %w", d.backup, d.fqdn, err)
		}
		if err := putBytes(ctx, c.Backend, e.key, data); err != nil {
			return keys[:len(keys)-1], err
		}
	}
	return keys, nil
}

// markLatest points the latest_backup markers of d.fqdn at d unless they
// already name it.
func (c *Catalog) markLatest(ctx context.Context, d discovered, noop bool) ([]string, error) {
	l := c.layout()
	cur, err := c.readAll(ctx, l.LatestBackupNameKey(d.fqdn))
	switch {
	case err == nil && layout.ParseBackupNameContent(cur) == d.backup:
		return nil, nil
	case err != nil && !errors.Is(err, storage.ErrNotExist):
		return nil, err
	}
	keys := []string{l.LatestTokenmapKey(d.fqdn), l.LatestBackupNameKey(d.fqdn)}
	if noop {
		return keys, nil
	}
	tokenmap, err := c.readAll(ctx, l.TokenmapKey(d.fqdn, d.backup))
	if err != nil {
		return nil, fmt.Errorf("latest backup marker of %s: %w", d.fqdn, err)
	}
	if err := WriteLatest(ctx, c.Backend, c.Prefix, d.fqdn, d.backup, tokenmap); err != nil {
		return nil, err
	}
	return keys, nil
}
