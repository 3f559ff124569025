package compat

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
)

var (
	epochRE   = regexp.MustCompile(`_(\d+)\.timestamp$`)
	sstableRE = regexp.MustCompile(`^([a-z]{2})-[^-]+-(big|bti)-(.+)$`)
)

// nodeBackup is what one node backup put in the bucket.
type nodeBackup struct {
	name    string
	objects map[string]storage.ObjectInfo // meta, index and data (pool files named by the manifest included)
	data    []string                      // data keys named by the manifest
}

// loadBackup lists the objects of backup name: everything under
// <fqdn>/<name>/ and index/backup_index/<name>/, and the pool files its
// manifest names.
func loadBackup(t *testing.T, st *store, name string) nodeBackup {
	t.Helper()
	b := nodeBackup{name: name, objects: map[string]storage.ObjectInfo{}}
	for _, p := range []string{st.layout.NodeBackupPrefix(st.fqdn, name), st.layout.BackupIndexPrefix(name)} {
		maps.Copy(b.objects, listObjects(t, st, p))
	}
	pool := listObjects(t, st, st.layout.PoolPrefix(st.fqdn))
	for _, s := range readManifest(t, st, name) {
		for _, o := range s.Objects {
			b.data = append(b.data, o.Path)
			info, ok := b.objects[o.Path]
			if !ok {
				if info, ok = pool[o.Path]; !ok {
					t.Errorf("%s: manifest names %s, which is not in the bucket", name, o.Path)
					continue
				}
				b.objects[o.Path] = info
			}
			if info.Size != o.Size {
				t.Errorf("%s: manifest gives %s %d bytes, the bucket %d", name, o.Path, o.Size, info.Size)
			}
		}
	}
	return b
}

// listObjects lists the objects under prefix by key.
func listObjects(t *testing.T, st *store, prefix string) map[string]storage.ObjectInfo {
	t.Helper()
	out := map[string]storage.ObjectInfo{}
	for info, err := range st.backend.List(t.Context(), prefix) {
		if err != nil {
			t.Fatalf("list %s: %v", prefix, err)
		}
		out[info.Key] = info
	}
	return out
}

// keyPattern is key without the store prefix, with the backup name
// segment replaced by {backup}, index epochs by {epoch} and, in data keys,
// SSTable generations by {gen}.
func keyPattern(st *store, key, name string) string {
	segs := strings.Split(strings.TrimPrefix(key, st.layout.KeyPrefix()), "/")
	data := len(segs) > 2 && (segs[1] == "data" || segs[2] == "data")
	for i, s := range segs {
		if s == name {
			segs[i] = "{backup}"
		}
	}
	last := epochRE.ReplaceAllString(segs[len(segs)-1], "_{epoch}.timestamp")
	if data {
		last = sstableRE.ReplaceAllString(last, "$1-{gen}-$2-$3")
	}
	segs[len(segs)-1] = last
	return strings.Join(segs, "/")
}

// patterns returns the sorted, distinct key patterns of b, leaving out data
// keys whose keyspace keep returns false for.
func patterns(st *store, b nodeBackup, keep func(keyspace string) bool) []string {
	var out []string
	for k := range b.objects {
		if ref, err := st.layout.ParseDataKey(k); err == nil && !keep(ref.Keyspace) {
			continue
		}
		if p := keyPattern(st, k, b.name); !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// withoutDropRecord removes the key pattern of meta/dropped_columns.json,
// which only our backups have (docs/bucket-format.md), from our backup's
// patterns, and fails the test when the backup lacks it.
func withoutDropRecord(t *testing.T, backup string, pats []string) []string {
	t.Helper()
	out := slices.DeleteFunc(slices.Clone(pats), func(p string) bool {
		return strings.HasSuffix(p, "/meta/"+layout.DroppedColumnsFile)
	})
	if len(out) == len(pats) {
		t.Errorf("our backup %s has no meta/%s", backup, layout.DroppedColumnsFile)
	}
	return out
}

// stableKeyspace reports whether the keyspace's SSTable files keep the same
// kinds between two backups minutes apart: the fixture keyspaces (no
// writes between the backups but flushed rows) and the schema; other system
// tables gain or lose files on their own (compaction history, size
// estimates, ...), so only their table directories are compared.
func stableKeyspace(ks string) bool {
	return ks == "fx_shop" || ks == "fx_logs" || ks == "system_schema"
}

// checkCrossLayout compares the bucket layout of the cross test's backups
// of each tool: key patterns, manifest sections, JSON documents and index
// entry contents.
func checkCrossLayout(t *testing.T, st *store) {
	loaded := map[string]nodeBackup{}
	for _, b := range crossBackups {
		loaded[b.name] = loadBackup(t, st, b.name)
		checkNodeBackup(t, st, loaded[b.name], b.diff)
	}
	// go2 is the first differential backup (it uploads every file) and py2
	// the first to reuse files (with null MD5s on local storage): their
	// manifests have different shapes by nature, go3's and py2's the same.
	pairs := []struct {
		ours, theirs string
		docs         bool
	}{{"go1", "py1", true}, {"go2", "py2", false}, {"go3", "py2", true}}
	for _, pair := range pairs {
		ours, theirs := loaded[pair.ours], loaded[pair.theirs]
		diffStrings(t, fmt.Sprintf("key patterns of %s (ours) and %s (python)", ours.name, theirs.name),
			patterns(st, theirs, stableKeyspace), withoutDropRecord(t, ours.name, patterns(st, ours, stableKeyspace)))
		diffStrings(t, fmt.Sprintf("manifest sections of %s (ours) and %s (python)", ours.name, theirs.name),
			sections(readManifest(t, st, theirs.name)), sections(readManifest(t, st, ours.name)))
		if pair.docs {
			compareDocs(t, st, ours.name, st, theirs.name, false)
		}
	}
	// The last backup (go3) is the node's latest.
	if got := string(readObject(t, st, st.layout.LatestBackupNameKey(st.fqdn))); got != "go3" {
		t.Errorf("latest backup_name.txt is %q, want go3", got)
	}
	latest := readObject(t, st, st.layout.LatestTokenmapKey(st.fqdn))
	if meta := readObject(t, st, st.layout.TokenmapKey(st.fqdn, "go3")); string(latest) != string(meta) {
		t.Errorf("latest tokenmap.json differs from go3's:\n%s\n%s", latest, meta)
	}
}

// sections lists "keyspace/columnfamily" of every manifest section.
func sections(m layout.Manifest) []string {
	var out []string
	for _, s := range m {
		out = append(out, s.Keyspace+"/"+s.ColumnFamily)
	}
	slices.Sort(out)
	return out
}

// checkNodeBackup checks the documents of one node backup on their own:
// Python's JSON formatting, index copies equal to the meta files, epochs in
// index names equal to their content and to the LastModified of
// meta/schema.cql (started) and meta/manifest.json (finished), and the
// differential markers.
func checkNodeBackup(t *testing.T, st *store, b nodeBackup, diff bool) {
	l, f, n := st.layout, st.fqdn, b.name
	for _, k := range []string{l.ManifestKey(f, n), l.TokenmapKey(f, n), l.ServerVersionKey(f, n)} {
		checkPyJSON(t, k, readObject(t, st, k))
	}
	copies := map[string]string{
		l.IndexManifestKey(n, f): l.ManifestKey(f, n),
		l.IndexTokenmapKey(n, f): l.TokenmapKey(f, n),
		l.IndexSchemaKey(n, f):   l.SchemaKey(f, n),
	}
	for idx, meta := range copies {
		if a, b := readObject(t, st, idx), readObject(t, st, meta); string(a) != string(b) {
			t.Errorf("%s differs from %s", idx, meta)
		}
	}
	epochs := map[string]string{"started": l.SchemaKey(f, n), "finished": l.ManifestKey(f, n)}
	for k := range b.objects {
		m := epochRE.FindStringSubmatch(k)
		if m == nil {
			continue
		}
		kind := "started"
		if strings.Contains(k, "/finished_") {
			kind = "finished"
		}
		if got := string(readObject(t, st, k)); got != m[1] {
			t.Errorf("%s holds %q, want its epoch %s", k, got, m[1])
		}
		epoch, _ := strconv.ParseInt(m[1], 10, 64)
		if mod := b.objects[epochs[kind]].ModTime.Unix(); mod != epoch {
			t.Errorf("%s: epoch %d, but %s was last modified at %d", k, epoch, epochs[kind], mod)
		}
	}
	for _, k := range []string{l.DifferentialKey(f, n), l.IndexDifferentialKey(n, f)} {
		info, ok := b.objects[k]
		switch {
		case ok != diff:
			t.Errorf("%s: present %v, want %v (differential backup: %v)", k, ok, diff, diff)
		case ok && info.Size != int64(len("differential")):
			t.Errorf("%s: %d bytes, want the word differential", k, info.Size)
		case ok && string(readObject(t, st, k)) != "differential":
			t.Errorf("%s: content %q, want differential", k, readObject(t, st, k))
		}
	}
}

// compareDocs compares the documents of backup ours (by this tool, in
// ourSt) and theirs (by Python Medusa, in pySt) of the same node: the JSON shapes of manifest,
// tokenmap and server version, and the bytes of tokenmap and server
// version. With sameData (both backed up the same snapshot) the manifests
// must hold the same objects too.
func compareDocs(t *testing.T, ourSt *store, ours string, pySt *store, theirs string, sameData bool) {
	for _, doc := range []string{layout.ManifestFile, layout.TokenmapFile, layout.ServerVersionFile} {
		a := readObject(t, ourSt, ourSt.layout.MetaKey(ourSt.fqdn, ours, doc))
		b := readObject(t, pySt, pySt.layout.MetaKey(pySt.fqdn, theirs, doc))
		na, nb := checkPyJSONQuiet(a), checkPyJSONQuiet(b)
		if na == nil || nb == nil {
			continue // checkNodeBackup reported it
		}
		diffStrings(t, fmt.Sprintf("JSON shapes of %s in %s (ours) and %s (python)", doc, ours, theirs),
			docShape(nb), docShape(na))
		if doc != layout.ManifestFile && string(a) != string(b) {
			t.Errorf("%s differs\n  python (%s): %s\n  ours   (%s): %s", doc, theirs, b, ours, a)
		}
	}
	if sameData {
		diffStrings(t, "manifest objects (path MD5 size) of "+ours+" (ours) and "+theirs+" (python)",
			manifestLines(t, pySt, theirs), manifestLines(t, ourSt, ours))
	}
}

// docShape is n.shape() without the type of manifest MD5 values, which
// depends on the data (null for files a differential backup kept on local
// storage): checkManifestHashes checks those values by Medusa's rule.
func docShape(n *jnode) []string {
	return slices.DeleteFunc(n.shape(), func(s string) bool {
		return strings.HasSuffix(s, `."MD5": null`) || strings.HasSuffix(s, `."MD5": string`)
	})
}

func checkPyJSONQuiet(raw []byte) *jnode {
	n, err := parseJSON(raw)
	if err != nil {
		return nil
	}
	return n
}

// manifestLines renders a manifest as sorted "ks/cf path md5 size" lines
// (without the store prefix), for an order-independent comparison.
func manifestLines(t *testing.T, st *store, name string) []string {
	var out []string
	for _, s := range readManifest(t, st, name) {
		out = append(out, s.Keyspace+"/"+s.ColumnFamily+" (section)")
		for _, o := range s.Objects {
			md5 := "null"
			if o.MD5 != nil {
				md5 = *o.MD5
			}
			out = append(out, fmt.Sprintf("%s/%s %s %s %d", s.Keyspace, s.ColumnFamily,
				strings.TrimPrefix(o.Path, st.layout.KeyPrefix()), md5, o.Size))
		}
	}
	slices.Sort(out)
	return out
}

// diffStrings fails the test when the sorted lists want (Python's) and got
// (ours) differ, naming what only one of them has.
func diffStrings(t *testing.T, what string, want, got []string) {
	t.Helper()
	var onlyWant, onlyGot []string
	for _, w := range want {
		if !slices.Contains(got, w) {
			onlyWant = append(onlyWant, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			onlyGot = append(onlyGot, g)
		}
	}
	if len(onlyWant)+len(onlyGot) > 0 {
		t.Errorf("%s differ:\n  only python's (%d):\n    %s\n  only ours (%d):\n    %s", what,
			len(onlyWant), strings.Join(first(onlyWant, 20), "\n    "),
			len(onlyGot), strings.Join(first(onlyGot, 20), "\n    "))
	}
}

func first(s []string, n int) []string { return s[:min(n, len(s))] }
