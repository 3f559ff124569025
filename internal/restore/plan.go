package restore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/layout"
)

// File is one object of a table to download.
type File struct {
	Object layout.Object
	// Rel is the file's path inside the table directory: its name, or
	// "<.index dir>/<name>" for secondary index files.
	Rel string
}

// Table is one selected section of the manifest.
type Table struct {
	Keyspace string
	Dir      string // table directory name, with the table id
	Action   Action
	Files    []File
	Bytes    int64
	// Dest is <data dir>/<keyspace>/<dir> for a restore of the node's
	// files ("" otherwise); Exists tells whether it exists now (it is then
	// moved aside).
	Dest   string
	Exists bool
}

// Name returns "keyspace.table dir".
func (t Table) Name() string { return t.Keyspace + "." + t.Dir }

// Plan is what a restore will do, computed before anything is changed.
type Plan struct {
	Backup, FQDN string
	InPlace      bool
	KeepAuth     bool
	Differential bool
	Tables       []Table
	// Ignored are the "ks.table" the filters left out.
	Ignored []string
	// Files and Bytes count what is downloaded (tables with action Restore).
	Files int
	Bytes int64
	// Tokens are the backed-up node's tokens (remote restores).
	Tokens []string
	// The backup's meta files, written next to the downloaded data.
	Manifest, Schema, Tokenmap []byte
}

// buildPlan reads the node backup of fqdn and selects its tables. dataDir
// is the node's data directory ("" when files are not placed there).
func buildPlan(ctx context.Context, d *Deps, o *Options, fqdn string, f Filter, dataDir string) (*Plan, error) {
	cat := &catalog.Catalog{Backend: d.Storage, Prefix: o.Prefix, Logger: d.Logger}
	nb, err := cat.NodeBackup(ctx, o.Backup, fqdn)
	if errors.Is(err, layout.ErrBackupNotFound) {
		return nil, fmt.Errorf("no such backup: %s of node %s: %w", o.Backup, fqdn, err)
	}
	if err != nil {
		return nil, fmt.Errorf("find backup %s of node %s: %w", o.Backup, fqdn, err)
	}
	if !nb.IsFinished() {
		return nil, fmt.Errorf("backup %s of node %s is not finished (no meta/manifest.json): it cannot be restored",
			o.Backup, fqdn)
	}
	m, err := cat.Manifest(ctx, o.Backup, fqdn)
	if err != nil {
		return nil, err
	}
	tm, err := cat.TokenMap(ctx, o.Backup, fqdn)
	if err != nil {
		return nil, err
	}
	schema, err := cat.Schema(ctx, o.Backup, fqdn)
	if err != nil {
		return nil, err
	}
	rawTM, err := layout.MarshalTokenmap(tm)
	if err != nil {
		return nil, err
	}
	p := &Plan{Backup: o.Backup, FQDN: fqdn, InPlace: o.InPlace, KeepAuth: o.KeepAuth, Differential: nb.Differential,
		Manifest: layout.MarshalManifest(m), Schema: schema, Tokenmap: rawTM}
	if !o.InPlace && !o.UseSSTableLoader {
		h, ok := tm.Host(fqdn)
		if !ok || len(h.Tokens) == 0 {
			return nil, fmt.Errorf("the token map of backup %s has no tokens for %s (hosts: %s): a remote restore needs them",
				o.Backup, fqdn, strings.Join(tm.HostNames(), ", "))
		}
		p.Tokens = h.TokenStrings()
	}
	if err := f.checkSelection(m, o.Backup, fqdn); err != nil {
		return nil, err
	}
	if err := p.selectTables(m, f, dataDir); err != nil {
		return nil, err
	}
	return p, nil
}

// selectTables fills Tables, Ignored and the totals.
func (p *Plan) selectTables(m layout.Manifest, f Filter, dataDir string) error {
	for _, s := range m {
		if err := safeName("keyspace", s.Keyspace); err != nil {
			return err
		}
		if err := safeName("table directory", s.ColumnFamily); err != nil {
			return err
		}
		if !f.Keep(s.Keyspace, s.ColumnFamily) {
			p.Ignored = append(p.Ignored, s.Keyspace+"."+TableName(s.ColumnFamily))
			continue
		}
		t := Table{Keyspace: s.Keyspace, Dir: s.ColumnFamily, Action: ActionFor(s.Keyspace, s.ColumnFamily, p.InPlace, p.KeepAuth)}
		files, err := tableFiles(s)
		if err != nil {
			return err
		}
		if t.Action == Restore {
			t.Files = files
			for _, fl := range files {
				t.Bytes += fl.Object.Size
			}
			p.Files += len(files)
			p.Bytes += t.Bytes
		}
		if dataDir != "" {
			t.Dest = filepath.Join(dataDir, s.Keyspace, s.ColumnFamily)
			_, err := os.Lstat(t.Dest)
			t.Exists = err == nil
		}
		p.Tables = append(p.Tables, t)
	}
	return nil
}

// tableFiles maps a section's objects to paths inside the table
// directory. Every path must stay inside it: "<file>" or
// "<subdir>/<file>" (secondary index dot-directories, DSE "nodes").
func tableFiles(s layout.Section) ([]File, error) {
	seen := map[string]int64{}
	var out []File
	for _, o := range s.Objects {
		// The object may sit in a variant directory <table dir>.<tag> of
		// the differential pool (docs/differential-reuse.md).
		rel, ok := layout.TableRelPath(o.Path, s.Keyspace, s.ColumnFamily)
		if !ok {
			return nil, fmt.Errorf("manifest object %q is not under %s/%s", o.Path, s.Keyspace, s.ColumnFamily)
		}
		parts := strings.Split(rel, "/")
		if len(parts) > 2 || (len(parts) == 2 && !strings.HasPrefix(parts[0], ".") && !strings.HasSuffix(parts[0], "nodes")) {
			return nil, fmt.Errorf("manifest object %q: unexpected path %q inside the table directory", o.Path, rel)
		}
		for _, part := range parts {
			if err := safeName("file", part); err != nil {
				return nil, fmt.Errorf("manifest object %q: %w", o.Path, err)
			}
		}
		if size, dup := seen[rel]; dup {
			if size != o.Size {
				return nil, fmt.Errorf("manifest lists %s/%s/%s twice with different sizes", s.Keyspace, s.ColumnFamily, rel)
			}
			continue
		}
		seen[rel] = o.Size
		out = append(out, File{Object: o, Rel: rel})
	}
	return out, nil
}

// safeName refuses names that are not one plain path segment.
func safeName(what, name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
		return fmt.Errorf("unsafe %s name %q in the manifest", what, name)
	}
	return nil
}

// restoring returns the tables whose files are placed (action Restore).
func (p *Plan) restoring() []Table {
	var out []Table
	for _, t := range p.Tables {
		if t.Action == Restore {
			out = append(out, t)
		}
	}
	return out
}
