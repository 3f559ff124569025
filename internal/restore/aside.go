package restore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// moveAside moves out of Cassandra's way, without deleting anything, the
// table directories the restore replaces or wipes, the commit log segments
// (so writes newer than the backup are not replayed over it) and the saved
// caches (key cache entries point into SSTables by generation and offset:
// entries saved for the node's current SSTables could match restored ones
// with the same generation but other content). Each move is journaled.
func (r *run) moveAside(ctx context.Context) error {
	dataDir := r.o.Node.DataDir
	dataAside := r.asides[dataDir]
	keep, err := dataListing(dataDir, dataAside)
	if err != nil {
		return err
	}
	for _, t := range r.p.Tables {
		if t.Action == Keep || !t.Exists {
			continue
		}
		to := filepath.Join(dataAside, t.Keyspace, t.Dir)
		if err := r.move(ctx, t.Dest, to, dataAside); err != nil {
			return err
		}
		r.res.Replaced = append(r.res.Replaced, t.Dest)
	}
	if err := r.j.add(entry{Kind: entrySweep, From: dataDir, Aside: dataAside, Keep: keep}); err != nil {
		return err
	}
	n := len(r.res.Replaced)
	for _, dir := range []string{r.o.Node.CommitlogDir, r.o.Node.SavedCachesDir} {
		root, ok := r.asides[dir]
		if !ok || dir == dataDir {
			continue
		}
		names, err := children(dir, root)
		if err != nil {
			return err
		}
		for _, name := range names {
			if err := r.move(ctx, filepath.Join(dir, name), filepath.Join(root, name), root); err != nil {
				return err
			}
		}
		if err := r.j.add(entry{Kind: entryClear, From: dir, Aside: root}); err != nil {
			return err
		}
		n += len(names)
	}
	r.d.Logger.Info(fmt.Sprintf("Moved aside %d table directories and %d commit log / saved cache files",
		len(r.res.Replaced), n-len(r.res.Replaced)))
	return nil
}

// move renames from to to (creating to's parent) and journals it.
func (r *run) move(ctx context.Context, from, to, aside string) error {
	if err := r.d.FS.MkdirAll(ctx, filepath.Dir(to)); err != nil {
		return err
	}
	if err := r.d.FS.Rename(ctx, from, to); err != nil {
		return fmt.Errorf("move %s aside: %w", from, err)
	}
	return r.j.add(entry{Kind: entryAside, From: from, To: to, Aside: aside})
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
