package catalog_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/local"
	"github.com/medusa-go/medusa/internal/storage/storagetest"
)

// checked returns cluster backup name of c with its details loaded and
// its data checked.
func checked(t *testing.T, c *catalog.Catalog, name string) layout.ClusterBackup {
	t.Helper()
	cb, err := c.ClusterBackup(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	one := []layout.ClusterBackup{cb}
	if err := c.LoadDetailsAndCheck(t.Context(), one); err != nil {
		t.Fatal(err)
	}
	return one[0]
}

// TestLoadDetailsAndCheck damages the data of b2 (a full backup of three
// nodes) and of b3 (differential, in the pools) in the ways the data check
// must see, or must not.
func TestLoadDetailsAndCheck(t *testing.T) {
	t.Parallel()
	l := layout.New("")
	full := l.DataPrefix("n2.example.com", "b2") + table
	pool := l.PoolPrefix("n1.example.com") + table
	tests := []struct {
		name             string
		backup           string
		damage           func(t *testing.T, b *local.Backend)
		missing, resized []string // keys, on n2 for b2, n1 for b3
	}{
		{"intact", "b2", nil, nil, nil},
		{"deleted object", "b2", func(t *testing.T, b *local.Backend) {
			must(t, b.Delete(t.Context(), full+"nb-1-big-Data.db"))
		}, []string{full + "nb-1-big-Data.db"}, nil},
		{"truncated object", "b2", func(t *testing.T, b *local.Backend) {
			put(t, b, full+".t_idx/nb-1-big-Data.db", []byte("short"))
		}, nil, []string{full + ".t_idx/nb-1-big-Data.db"}},
		{"statistics ignored", "b2", func(t *testing.T, b *local.Backend) {
			must(t, b.Delete(t.Context(), full+"nb-1-big-Statistics.db"))
		}, nil, nil},
		{"summary of another size ignored", "b2", func(t *testing.T, b *local.Backend) {
			put(t, b, full+"nb-1-big-Summary.db", []byte("rebuilt"))
		}, nil, nil},
		{"extra object is no damage", "b2", func(t *testing.T, b *local.Backend) {
			put(t, b, full+"nb-2-big-Data.db", []byte("stray"))
		}, nil, nil},
		{"deleted pool object", "b3", func(t *testing.T, b *local.Backend) {
			must(t, b.Delete(t.Context(), pool+"nb-1-big-Data.db"))
			must(t, b.Delete(t.Context(), pool+"nb-1-big-Summary.db"))
		}, []string{pool + "nb-1-big-Data.db", pool + "nb-1-big-Summary.db"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := newLocal(t)
			writeCluster(t, b, "")
			if tt.damage != nil {
				tt.damage(t, b)
			}
			c := &catalog.Catalog{Backend: b}
			cb := checked(t, c, tt.backup)
			fqdn := map[string]string{"b2": "n2.example.com", "b3": "n1.example.com"}[tt.backup]
			for _, n := range cb.Nodes {
				d := n.Damage
				if n.FQDN != fqdn {
					if d.Damaged() {
						t.Errorf("%s damaged: %+v", n.FQDN, d)
					}
					continue
				}
				if d.Missing != len(tt.missing) || !slices.Equal(d.MissingKeys, tt.missing) ||
					d.Resized != len(tt.resized) || !slices.Equal(d.ResizedKeys, tt.resized) {
					t.Errorf("%s: %+v, want missing %v, resized %v", n.FQDN, d, tt.missing, tt.resized)
				}
			}
			damaged := len(tt.missing)+len(tt.resized) > 0
			if cb.IsDamaged() != damaged || (tt.backup == "b2" && cb.IsComplete() == damaged) {
				t.Errorf("damaged %v complete %v, want damaged %v", cb.IsDamaged(), cb.IsComplete(), damaged)
			}
		})
	}
}

// TestCheckDataStoredAgain: an object stored again with the manifest's
// size and another hash is counted, not damage; a store listing no hashes
// (local) counts nothing.
func TestCheckDataStoredAgain(t *testing.T) {
	t.Parallel()
	mem := storagetest.NewMemory()
	l := layout.New("")
	key := l.DataPrefix("n1", "f1") + "ks/t-1/nb-1-big-Data.db"
	info := put(t, mem, key, []byte("content"))
	writeManifestOnly(t, mem, "f1", "n1", layout.Manifest{{Keyspace: "ks", ColumnFamily: "t-1",
		Objects: []layout.Object{{Path: key, MD5: &info.Hash, Size: info.Size}}}})
	if cb := checked(t, &catalog.Catalog{Backend: mem}, "f1"); cb.StoredAgain() != 0 || !cb.IsComplete() {
		t.Fatalf("before: stored again %d, complete %v", cb.StoredAgain(), cb.IsComplete())
	}
	put(t, mem, key, []byte("CONTENT"))
	cb := checked(t, &catalog.Catalog{Backend: mem}, "f1")
	if cb.StoredAgain() != 1 || !cb.IsComplete() {
		t.Errorf("after: stored again %d, complete %v; want 1, complete", cb.StoredAgain(), cb.IsComplete())
	}
	var out bytes.Buffer
	must(t, layout.WriteStatus(&out, cb, time.UTC))
	if !strings.Contains(out.String(), "- 1 objects stored again since the backup") ||
		!strings.Contains(out.String(), "verify --backup-name f1 --enable-md5-checks") {
		t.Errorf("status:\n%s", out.String())
	}
}

// writeManifestOnly writes the index entries, meta files and manifest of
// a finished one-node full backup whose data the caller stores.
func writeManifestOnly(t *testing.T, b storage.Backend, backup, fqdn string, m layout.Manifest) {
	t.Helper()
	ctx := t.Context()
	l := layout.New("")
	tm := tokenmapOf(t, fqdn)
	put(t, b, l.SchemaKey(fqdn, backup), []byte("CQL"))
	must(t, catalog.WriteStarted(ctx, b, "", backup, fqdn, tm, []byte("CQL"), false, t0))
	manifest := layout.MarshalManifest(m)
	put(t, b, l.ManifestKey(fqdn, backup), manifest)
	must(t, catalog.WriteFinished(ctx, b, "", backup, fqdn, manifest, t0+60))
}

// TestLatestCheckedComplete: with the newest complete backups damaged or
// deleted behind the index's back, the latest complete one is the newest
// sound one; the others are skipped, newest first. Differential backups
// sharing a pool are checked with one listing of the pool per batch.
func TestLatestCheckedComplete(t *testing.T) {
	t.Parallel()
	b := newLocal(t)
	hosts := []string{"n1"}
	for i, name := range []string{"d1", "d2", "d3", "d4", "d5"} {
		writeNodeBackup(t, b, nodeSpec{backup: name, fqdn: "n1", hosts: hosts, started: t0 + int64(i)*day,
			finished: true, differential: true,
			files: map[string]int64{"ks/t-1/nb-" + string(rune('1'+i)) + "-big-Data.db": 10, "ks/t-1/nb-0-big-Data.db": 5}})
	}
	l := layout.New("")
	// Every backup names nb-0; d2..d5 also name their own file; d3's and
	// d4's own files are deleted: d4 and d3 are damaged; d5's meta files
	// are deleted (its index entries remain, and an older backup exists,
	// so the listing still shows it); d2 is the latest sound one.
	for _, k := range listKeys(t, b, l.MetaPrefix("n1", "d5")) {
		must(t, b.Delete(t.Context(), k))
	}
	must(t, b.Delete(t.Context(), l.PoolPrefix("n1")+"ks/t-1/nb-4-big-Data.db"))
	must(t, b.Delete(t.Context(), l.PoolPrefix("n1")+"ks/t-1/nb-3-big-Data.db"))
	counted := storagetest.NewFaulty(b)
	c := &catalog.Catalog{Backend: counted}
	all, err := c.ClusterBackups(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	counted.Reset()
	latest, ok, skipped, err := c.LatestCheckedComplete(t.Context(), all)
	if err != nil || !ok {
		t.Fatalf("ok %v, %v", ok, err)
	}
	var names []string
	for _, s := range skipped {
		names = append(names, s.Name)
		if s.Name == "d5" {
			if s.Nodes[0].IsFinished() {
				t.Error("d5 without its manifest counts as finished")
			}
		} else if !s.IsDamaged() || s.Nodes[0].Damage.Missing != 1 {
			t.Errorf("%s: %+v", s.Name, s.Nodes[0].Damage)
		}
	}
	if latest.Name != "d2" || !slices.Equal(names, []string{"d5", "d4", "d3"}) || latest.Size() != 15 {
		t.Errorf("latest %s (size %d), skipped %v; want d2 (15), [d5 d4 d3]", latest.Name, latest.Size(), names)
	}
	// Batches of 1 (d5: no manifest, so no listing), 2 (d4, d3) and 4
	// (d2, d1): one pool listing per batch with a manifest.
	if got := counted.Calls(storagetest.OpList); got != 2 {
		t.Errorf("%d listings, want 2", got)
	}
	for _, cb := range all {
		if cb.IsDamaged() || cb.Nodes[0].Size != 0 || !cb.IsComplete() {
			t.Errorf("LatestCheckedComplete changed %s, one of the backups it was given", cb.Name)
		}
	}
}
