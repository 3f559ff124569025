package cryptmigrate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/medusa-go/medusa/internal/crypt"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
)

// nodeBackup is one node backup found under the prefix.
type nodeBackup struct {
	fqdn, name string
	// meta are the objects under P<fqdn>/<backup>/meta/, by file name.
	meta map[string]storage.ObjectInfo
	// data are the objects under P<fqdn>/<backup>/data/ (full backups).
	data []storage.ObjectInfo
	// manifest is the parsed meta/manifest.json (finished backups).
	manifest layout.Manifest
}

func (b *nodeBackup) String() string { return "backup " + b.name + " of node " + b.fqdn }

func (b *nodeBackup) finished() bool {
	_, ok := b.meta[layout.ManifestFile]
	return ok
}

// inventory is one listing of the whole prefix.
type inventory struct {
	objects map[string]storage.ObjectInfo
	// backups are the node backups (meta/schema.cql exists), by fqdn then
	// name.
	backups []*nodeBackup
	// pools are the differential pools of the nodes with backups.
	pools map[string][]storage.ObjectInfo
	// commitlogs is an archived commit log object, if any.
	commitlogs string
}

// list lists the prefix once and reads the manifests of the finished
// backups (plain: the migration never encrypts them).
func (m *Migrator) list(ctx context.Context) (*inventory, error) {
	l := layout.New(m.Prefix)
	inv := &inventory{objects: map[string]storage.ObjectInfo{}, pools: map[string][]storage.ObjectInfo{}}
	byNode := map[string]map[string]*nodeBackup{}
	pools := map[string][]storage.ObjectInfo{}
	get := func(fqdn, name string) *nodeBackup {
		if byNode[fqdn] == nil {
			byNode[fqdn] = map[string]*nodeBackup{}
		}
		b := byNode[fqdn][name]
		if b == nil {
			b = &nodeBackup{fqdn: fqdn, name: name, meta: map[string]storage.ObjectInfo{}}
			byNode[fqdn][name] = b
		}
		return b
	}
	for o, err := range m.Plain.List(ctx, l.KeyPrefix()) {
		if err != nil {
			return nil, fmt.Errorf("list prefix %q: %w", l.KeyPrefix(), err)
		}
		inv.objects[o.Key] = o
		parts := strings.SplitN(strings.TrimPrefix(o.Key, l.KeyPrefix()), "/", 4)
		if len(parts) < 3 || parts[0] == "index" {
			continue
		}
		switch {
		case parts[1] == "data":
			pools[parts[0]] = append(pools[parts[0]], o)
		case parts[1] == "commitlogs":
			inv.commitlogs = o.Key
		case len(parts) == 4 && parts[2] == "meta":
			get(parts[0], parts[1]).meta[parts[3]] = o
		case len(parts) == 4 && parts[2] == "data":
			b := get(parts[0], parts[1])
			b.data = append(b.data, o)
		}
	}
	for fqdn, names := range byNode {
		for _, b := range names {
			if _, ok := b.meta[layout.SchemaFile]; ok {
				inv.backups = append(inv.backups, b)
				inv.pools[fqdn] = pools[fqdn]
			}
		}
	}
	slices.SortFunc(inv.backups, func(a, b *nodeBackup) int {
		if c := strings.Compare(a.fqdn, b.fqdn); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	for _, b := range inv.backups {
		if !b.finished() {
			continue
		}
		key := l.ManifestKey(b.fqdn, b.name)
		data, err := storage.ReadAll(ctx, m.Plain, key)
		if err != nil {
			return nil, fmt.Errorf("%s: read %s: %w", b, key, err)
		}
		if crypt.IsSealed(data) {
			return nil, fmt.Errorf("%s: %s is encrypted: this prefix encrypts its manifests (encrypt_metadata), which encrypt-backups never does", b, key)
		}
		if b.manifest, err = layout.UnmarshalManifest(data); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", b, key, err)
		}
	}
	return inv, nil
}

// errRefused marks a prefix the migration cannot start (or go on) on.
var errRefused = errors.New("nothing was encrypted")

// check refuses what the migration cannot keep: unfinished and damaged
// backups, archived commit logs, and manifests naming objects elsewhere
// than in the node's pool or the backup's own data directory. migrating:
// the marker records the migration (other commands refuse the prefix).
func (m *Migrator) check(inv *inventory, migrating bool) error {
	if inv.commitlogs != "" {
		return fmt.Errorf("the prefix holds archived commit logs (e.g. %s), which encrypt-backups does not encrypt yet: "+
			"%w; back up into a new prefix with encryption instead (docs/encryption.md)", inv.commitlogs, errRefused)
	}
	l := layout.New(m.Prefix)
	for _, b := range inv.backups {
		if !b.finished() {
			finish := "Let it finish (or resume it: medusa backup --backup-name " + b.name + ", without encryption_key_file), or"
			if migrating {
				// The marker refuses backups now.
				finish = "Stop it if it runs, and"
			}
			return fmt.Errorf("%s is unfinished (meta/schema.cql but no meta/manifest.json): it may be running, or was "+
				"interrupted and can never be restored; %w. %s delete it (medusa delete-backup --backup-name %s --fqdn %s, "+
				"without encryption_key_file), then run encrypt-backups again", b, errRefused, finish, b.name, b.fqdn)
		}
		for _, s := range b.manifest {
			for _, o := range s.Objects {
				if _, err := targetKey(l, b, s, o.Path); err != nil {
					return fmt.Errorf("%s: %w; %w", b, err, errRefused)
				}
				want := o.Size
				if isTarget(l, b, o.Path) {
					want = crypt.CiphertextSize(o.Size)
				}
				info, ok := inv.objects[o.Path]
				switch {
				case !ok:
					return fmt.Errorf("%s is damaged: object %s its manifest names is missing; %w. Delete the backup "+
						"(medusa delete-backup --backup-name %s --fqdn %s, without encryption_key_file) or restore the "+
						"object, then run encrypt-backups again", b, o.Path, errRefused, b.name, b.fqdn)
				case info.Size != want:
					return fmt.Errorf("%s is damaged: object %s is %d bytes, its manifest says %d; %w. Delete the backup "+
						"(medusa delete-backup --backup-name %s --fqdn %s, without encryption_key_file), then run "+
						"encrypt-backups again", b, o.Path, info.Size, want, errRefused, b.name, b.fqdn)
				}
			}
		}
	}
	return nil
}

// encTag is the tag of the table directories sealed objects go to.
const encTag = "enc"

// dataBase returns where the data objects of b live: its node's pool for
// a differential backup's objects, its own data directory for a full
// backup's, and the rest of path after it ("" when neither).
func dataBase(l layout.Layout, b *nodeBackup, path string) (base, rest string) {
	for _, base := range []string{l.PoolPrefix(b.fqdn), l.DataPrefix(b.fqdn, b.name)} {
		if rest, ok := strings.CutPrefix(path, base); ok {
			return base, rest
		}
	}
	return "", ""
}

// isTarget reports whether path, named by b's manifest, is a sealed key
// (a table directory tagged encTag).
func isTarget(l layout.Layout, b *nodeBackup, path string) bool {
	_, rest := dataBase(l, b, path)
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) < 3 {
		return false
	}
	dir := parts[1]
	i := strings.Index(dir, layout.VariantSep)
	if i < 0 {
		return false
	}
	tag := dir[i+len(layout.VariantSep):]
	return tag == encTag || strings.HasSuffix(tag, "-"+encTag)
}

// targetKey returns the key the object at path of section s of b's
// manifest is sealed to: the same file in the table directory tagged
// encTag (<table dir>.enc, or <table dir>.<tag>-enc for a variant). path
// itself when it already is one.
func targetKey(l layout.Layout, b *nodeBackup, s layout.Section, path string) (string, error) {
	base, rest := dataBase(l, b, path)
	parts := strings.SplitN(rest, "/", 3)
	if base == "" || len(parts) < 3 || parts[0] != s.Keyspace || layout.BaseTableDir(parts[1]) != s.ColumnFamily {
		return "", fmt.Errorf("object %s of table %s.%s is neither in the node's pool (%s%s/%s/) nor in the backup's "+
			"data directory (%s%s/%s/): encrypt-backups does not know where to put its encrypted copy",
			path, s.Keyspace, s.ColumnFamily, l.PoolPrefix(b.fqdn), s.Keyspace, s.ColumnFamily,
			l.DataPrefix(b.fqdn, b.name), s.Keyspace, s.ColumnFamily)
	}
	if isTarget(l, b, path) {
		return path, nil
	}
	dir := parts[1]
	if strings.Contains(dir, layout.VariantSep) {
		dir += "-" + encTag
	} else {
		dir = layout.VariantTableDir(dir, encTag)
	}
	return base + parts[0] + "/" + dir + "/" + parts[2], nil
}
