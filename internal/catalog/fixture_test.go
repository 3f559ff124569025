package catalog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/layout/layouttest"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/local"
)

// newLocal returns a local backend in a temporary directory.
func newLocal(t *testing.T) *local.Backend {
	t.Helper()
	b, err := local.New(local.Options{BasePath: t.TempDir(), Bucket: "bucket", Create: true})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tokenmapOf builds a tokenmap with one token per host.
func tokenmapOf(t *testing.T, hosts ...string) []byte {
	t.Helper()
	var tm layout.Tokenmap
	up, rack, dc := true, "rack1", "dc1"
	for i, h := range hosts {
		tm.Hosts = append(tm.Hosts, layout.TokenmapHost{
			Host: h, Tokens: []json.Number{layouttest.Int64Token(int64(i)*1000 - 9000)},
			IsUp: &up, Rack: &rack, DC: &dc,
		})
	}
	data, err := layout.MarshalTokenmap(tm)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// nodeSpec describes one node backup to create.
type nodeSpec struct {
	prefix, backup, fqdn string
	hosts                []string // the tokenmap
	differential         bool
	finished             bool
	notIndexed           bool  // write meta and data, but no index entries
	started              int64 // epoch given to meta/schema.cql
	files                map[string]int64
}

// defaultFiles are the data files of every node backup, relative to the
// data root: keyspace/table dir/file -> size.
var defaultFiles = map[string]int64{
	"ks/t-0123456789abcdef0123456789abcdef/nb-1-big-Data.db":        100,
	"ks/t-0123456789abcdef0123456789abcdef/nb-1-big-Statistics.db":  10,
	"ks/t-0123456789abcdef0123456789abcdef/nb-1-big-Summary.db":     20,
	"ks/t-0123456789abcdef0123456789abcdef/.t_idx/nb-1-big-Data.db": 30,
}

// setMTime sets the modification time of a local object.
func setMTime(t *testing.T, b *local.Backend, key string, epoch int64) {
	t.Helper()
	tm := time.Unix(epoch, 0)
	if err := os.Chtimes(filepath.Join(b.Root(), filepath.FromSlash(key)), tm, tm); err != nil {
		t.Fatal(err)
	}
}

func put(t *testing.T, b storage.Backend, key string, data []byte) storage.ObjectInfo {
	t.Helper()
	info, err := b.Put(context.Background(), key, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// writeNodeBackup creates a node backup the way a backup does: meta
// files, index start, data, manifest, index finish, latest marker.
// It returns the manifest.
func writeNodeBackup(t *testing.T, b *local.Backend, s nodeSpec) layout.Manifest {
	t.Helper()
	ctx := t.Context()
	l := layout.New(s.prefix)
	tokenmap := tokenmapOf(t, s.hosts...)
	schema := []byte("CREATE KEYSPACE ks;")
	put(t, b, l.SchemaKey(s.fqdn, s.backup), schema)
	setMTime(t, b, l.SchemaKey(s.fqdn, s.backup), s.started)
	put(t, b, l.TokenmapKey(s.fqdn, s.backup), tokenmap)
	put(t, b, l.ServerVersionKey(s.fqdn, s.backup),
		layout.MarshalServerVersion(layout.ServerVersion{ServerType: "cassandra", ReleaseVersion: "4.1.3"}))
	if s.differential {
		put(t, b, l.DifferentialKey(s.fqdn, s.backup), []byte(layout.DifferentialMarker))
	}
	started, err := catalog.EpochOf(ctx, b, l.SchemaKey(s.fqdn, s.backup))
	if err != nil {
		t.Fatal(err)
	}
	if !s.notIndexed {
		if err := catalog.WriteStarted(ctx, b, s.prefix, s.backup, s.fqdn, tokenmap, schema, s.differential, started); err != nil {
			t.Fatal(err)
		}
	}
	files := s.files
	if files == nil {
		files = defaultFiles
	}
	m := writeData(t, b, l, s, files)
	if !s.finished {
		return m
	}
	manifest := layout.MarshalManifest(m)
	put(t, b, l.ManifestKey(s.fqdn, s.backup), manifest)
	setMTime(t, b, l.ManifestKey(s.fqdn, s.backup), s.started+100)
	finished, err := catalog.EpochOf(ctx, b, l.ManifestKey(s.fqdn, s.backup))
	if err != nil {
		t.Fatal(err)
	}
	if s.notIndexed {
		return m
	}
	if err := catalog.WriteFinished(ctx, b, s.prefix, s.backup, s.fqdn, manifest, finished); err != nil {
		t.Fatal(err)
	}
	if err := catalog.WriteLatest(ctx, b, s.prefix, s.fqdn, s.backup, tokenmap); err != nil {
		t.Fatal(err)
	}
	return m
}

// writeData uploads the data files and returns the manifest naming them.
func writeData(t *testing.T, b *local.Backend, l layout.Layout, s nodeSpec, files map[string]int64) layout.Manifest {
	t.Helper()
	root := l.DataPrefix(s.fqdn, s.backup)
	if s.differential {
		root = l.PoolPrefix(s.fqdn)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	sections := map[string]*layout.Section{}
	var order []string
	for _, n := range names {
		info := put(t, b, root+n, bytes.Repeat([]byte{'x'}, int(files[n])))
		ref, err := l.ParseDataKey(root + n)
		if err != nil {
			t.Fatal(err)
		}
		id := ref.Keyspace + "/" + ref.TableDir
		if sections[id] == nil {
			sections[id] = &layout.Section{Keyspace: ref.Keyspace, ColumnFamily: ref.TableDir}
			order = append(order, id)
		}
		h := info.Hash
		sections[id].Objects = append(sections[id].Objects, layout.Object{Path: info.Key, MD5: &h, Size: info.Size})
	}
	var m layout.Manifest
	for _, id := range order {
		m = append(m, *sections[id])
	}
	return m
}

// readKey returns the content of key.
func readKey(t *testing.T, b storage.Backend, key string) string {
	t.Helper()
	r, _, err := b.Get(t.Context(), key, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// listKeys returns every key under prefix.
func listKeys(t *testing.T, b storage.Backend, prefix string) []string {
	t.Helper()
	var keys []string
	for obj, err := range b.List(t.Context(), prefix) {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, obj.Key)
	}
	return keys
}
