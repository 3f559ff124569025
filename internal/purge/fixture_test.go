package purge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/layout/layouttest"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/local"
)

// now is the tests' present: the real time (truncated to the second),
// since the command-line tests run with the real clock and the fixture's
// ages (daysAgo) must mean the same to them.
var now = time.Now().UTC().Truncate(time.Second)

func daysAgo(d float64) time.Time { return now.Add(-time.Duration(d * 24 * float64(time.Hour))) }

// fx is a local bucket with synthetic node backups whose LastModified
// times are set explicitly.
type fx struct {
	t *testing.T
	b storage.Backend
	// root is the directory holding the bucket's objects as files (local
	// storage, and versitygw's POSIX back end), where times are set.
	root   string
	prefix string
	l      layout.Layout
}

func newFx(t *testing.T, prefix string) *fx {
	t.Helper()
	dir := t.TempDir()
	b, err := local.New(local.Options{BasePath: dir, Bucket: "bucket", Create: true})
	if err != nil {
		t.Fatal(err)
	}
	return newFxOn(t, b, filepath.Join(dir, "bucket"), prefix)
}

func newFxOn(t *testing.T, b storage.Backend, root, prefix string) *fx {
	return &fx{t: t, b: b, root: root, prefix: prefix, l: layout.New(prefix)}
}

// put writes key with data and sets its modification time.
func (f *fx) put(key string, data []byte, mtime time.Time) storage.ObjectInfo {
	f.t.Helper()
	info, err := f.b.Put(context.Background(), key, bytes.NewReader(data))
	if err != nil {
		f.t.Fatal(err)
	}
	f.touch(key, mtime)
	info.ModTime = mtime
	return info
}

func (f *fx) touch(key string, mtime time.Time) {
	f.t.Helper()
	p := filepath.Join(f.root, filepath.FromSlash(key))
	if err := os.Chtimes(p, mtime, mtime); err != nil {
		f.t.Fatal(err)
	}
}

func tokenmapJSON(t *testing.T, hosts ...string) []byte {
	t.Helper()
	var tm layout.Tokenmap
	for i, h := range hosts {
		tm.Hosts = append(tm.Hosts, layout.TokenmapHost{Host: h, Tokens: []json.Number{layouttest.Int64Token(int64(i * 100))}})
	}
	data, err := layout.MarshalTokenmap(tm)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// spec describes one synthetic node backup.
type spec struct {
	fqdn, name string
	started    time.Time
	finished   bool
	full       bool
	// files are pool (or, full, backup data) files "ks/table-id/name".
	files []string
	hosts []string // tokenmap hosts (default: fqdn)
}

// backup writes a node backup in Medusa's order: meta, index start, data
// (pool files only when missing), manifest, index finish, latest marker.
func (f *fx) backup(s spec) layout.Manifest {
	f.t.Helper()
	ctx := context.Background()
	if s.hosts == nil {
		s.hosts = []string{s.fqdn}
	}
	tm := tokenmapJSON(f.t, s.hosts...)
	schema := []byte("CREATE KEYSPACE ks;")
	f.put(f.l.SchemaKey(s.fqdn, s.name), schema, s.started)
	f.put(f.l.TokenmapKey(s.fqdn, s.name), tm, s.started)
	f.put(f.l.ServerVersionKey(s.fqdn, s.name), []byte(`{"server_type": "cassandra", "release_version": "5.0.9"}`), s.started)
	if !s.full {
		f.put(f.l.DifferentialKey(s.fqdn, s.name), []byte(layout.DifferentialMarker), s.started)
	}
	must(f.t, catalog.WriteStarted(ctx, f.b, f.prefix, s.name, s.fqdn, tm, schema, !s.full, s.started.Unix()))
	var m layout.Manifest
	for _, file := range s.files {
		parts := strings.Split(file, "/")
		ref := layout.DataRef{FQDN: s.fqdn, Keyspace: parts[0], TableDir: parts[1], File: parts[2]}
		if s.full {
			ref.Backup = s.name
		}
		key := layouttest.DataKey(f.l, ref)
		info, err := f.b.Stat(ctx, key)
		if err != nil {
			info = f.put(key, []byte(strings.Repeat(file, 3)), s.started)
		}
		m = append(m, layout.Section{Keyspace: parts[0], ColumnFamily: parts[1],
			Objects: []layout.Object{{Path: key, Size: info.Size}}})
	}
	if !s.finished {
		return m
	}
	fin := s.started.Add(time.Hour)
	data := layout.MarshalManifest(m)
	f.put(f.l.ManifestKey(s.fqdn, s.name), data, fin)
	must(f.t, catalog.WriteFinished(ctx, f.b, f.prefix, s.name, s.fqdn, data, fin.Unix()))
	must(f.t, catalog.WriteLatest(ctx, f.b, f.prefix, s.fqdn, s.name, tm))
	return m
}

// keys lists every key under the prefix, sorted, with sizes.
func (f *fx) keys() []string {
	f.t.Helper()
	var out []string
	for o, err := range f.b.List(context.Background(), f.l.KeyPrefix()) {
		if err != nil {
			f.t.Fatal(err)
		}
		out = append(out, o.Key)
	}
	slices.Sort(out)
	return out
}

func (f *fx) read(key string) string {
	f.t.Helper()
	r, _, err := f.b.Get(context.Background(), key, 0, -1)
	if err != nil {
		f.t.Fatal(err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		f.t.Fatal(err)
	}
	return string(data)
}

func (f *fx) exists(key string) bool {
	_, err := f.b.Stat(context.Background(), key)
	return err == nil
}

// pool returns the pool key of a file "ks/table/name" of fqdn.
func (f *fx) pool(fqdn, file string) string {
	parts := strings.Split(file, "/")
	return layouttest.DataKey(f.l, layout.DataRef{FQDN: fqdn, Keyspace: parts[0], TableDir: parts[1], File: parts[2]})
}

// cat returns a catalog over the fixture (no self-healing).
func (f *fx) cat() *catalog.Catalog { return &catalog.Catalog{Backend: f.b, Prefix: f.prefix} }

// listed returns "name:complete|incomplete" for each cluster backup.
func (f *fx) listed() []string {
	f.t.Helper()
	cbs, err := f.cat().ClusterBackups(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, c := range cbs {
		state := "incomplete"
		if c.IsComplete() {
			state = "complete"
		}
		out = append(out, fmt.Sprintf("%s:%s", c.Name, state))
	}
	return out
}

// checkComplete verifies every cluster backup that lists as complete: its
// manifests' files must all exist.
func (f *fx) checkComplete() {
	f.t.Helper()
	ctx := context.Background()
	cbs, err := f.cat().ClusterBackups(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, c := range cbs {
		if !c.IsComplete() {
			continue
		}
		res, err := f.cat().Verify(ctx, c.Name, false)
		if err != nil || !res.OK() {
			f.t.Errorf("backup %s lists as complete but does not verify: %+v, %v", c.Name, res, err)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
