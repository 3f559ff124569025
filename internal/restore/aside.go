package restore

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// moveAside moves out of Cassandra's way, without deleting anything, the
// table directories the restore replaces or wipes, the commit log segments
// (so writes newer than the backup are not replayed over it) and the saved
// caches (key cache entries point into SSTables by generation and offset:
// entries saved for the node's current SSTables could match restored ones
// with the same generation but other content). Every move is announced in
// the journal first, all in one write; the directories are synced once
// the moves are done.
func (r *run) moveAside(ctx context.Context) error {
	dataDir := r.o.Node.DataDir
	dataAside := r.asides[dataDir]
	keep, err := dataListing(dataDir, dataAside)
	if err != nil {
		return err
	}
	var moves []entry
	tables := 0
	for _, t := range r.p.Tables {
		if t.Action == Keep || !t.Exists {
			continue
		}
		moves = append(moves, entry{Kind: entryAside, From: t.Dest, To: filepath.Join(dataAside, t.Keyspace, t.Dir), Aside: dataAside})
		tables++
	}
	intents := append([]entry{{Kind: entrySweep, From: dataDir, Aside: dataAside, Keep: keep}}, moves...)
	for _, dir := range r.sideDirs() {
		root, ok := r.asides[dir]
		if !ok || dir == dataDir {
			continue
		}
		names, err := children(dir, root)
		if err != nil {
			return err
		}
		intents = append(intents, entry{Kind: entryClear, From: dir, Aside: root, Keep: names})
		for _, name := range names {
			if strings.HasPrefix(name, asidePrefix) {
				continue // what an earlier restore kept aside stays where it is
			}
			if r.keptInPlace(dir, name) {
				continue
			}
			e := entry{Kind: entryAside, From: filepath.Join(dir, name), To: filepath.Join(root, name), Aside: root}
			intents, moves = append(intents, e), append(moves, e)
		}
	}
	if err := r.j.intend(intents...); err != nil {
		return err
	}
	synced := map[string]bool{}
	for _, e := range moves {
		if err := r.move(ctx, e.From, e.To); err != nil {
			return err
		}
		synced[filepath.Dir(e.From)], synced[filepath.Dir(e.To)] = true, true
		if e.Aside == dataAside {
			r.res.Replaced = append(r.res.Replaced, e.From)
		}
	}
	if err := syncDirs(slices.Sorted(maps.Keys(synced))...); err != nil {
		return err
	}
	r.d.Logger.Info(fmt.Sprintf("Moved aside %d table directories and %d commit log / saved cache files",
		tables, len(moves)-tables))
	return nil
}

// move renames from to to (creating to's parent).
func (r *run) move(ctx context.Context, from, to string) error {
	if err := r.d.FS.MkdirAll(ctx, filepath.Dir(to)); err != nil {
		return err
	}
	if err := r.d.FS.Rename(ctx, from, to); err != nil {
		return fmt.Errorf("move %s aside: %w", from, err)
	}
	return nil
}

// dataListing returns the keyspace directories ("ks") and table
// directories ("ks/table-id") of the data directory, leaving out aside.
func dataListing(dataDir, aside string) ([]string, error) {
	keyspaces, err := children(dataDir, aside)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, ks := range keyspaces {
		out = append(out, ks)
		fi, err := os.Stat(filepath.Join(dataDir, ks))
		if err != nil || !fi.IsDir() {
			continue
		}
		tables, err := children(filepath.Join(dataDir, ks), "")
		if err != nil {
			return nil, err
		}
		for _, t := range tables {
			out = append(out, ks+"/"+t)
		}
	}
	return out, nil
}
