package testbed

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

// Now is the present of the synthetic backups: the real time (truncated to
// the second), since tests that run the medusa command use the real clock
// and the ages given to Bucket (DaysAgo) must mean the same to them.
var Now = time.Now().UTC().Truncate(time.Second)

// DaysAgo returns Now minus d days.
func DaysAgo(d float64) time.Time { return Now.Add(-time.Duration(d * 24 * float64(time.Hour))) }

// Bucket writes synthetic node backups into a bucket, with the
// LastModified times it is given (set on the files behind the objects:
// local storage, or versitygw's POSIX back end). The purge tests, unit and
// end-to-end, build their bucket states with it.
type Bucket struct {
	T testing.TB
	B storage.Backend
	// Root is the directory holding the bucket's objects as files.
	Root   string
	Prefix string
	L      layout.Layout
}

// NewLocalBucket returns a Bucket on local storage in a temporary
// directory.
func NewLocalBucket(t testing.TB, prefix string) *Bucket {
	t.Helper()
	dir := t.TempDir()
	b, err := local.New(local.Options{BasePath: dir, Bucket: "bucket", Create: true})
	if err != nil {
		t.Fatal(err)
	}
	return NewBucket(t, b, filepath.Join(dir, "bucket"), prefix)
}

// NewBucket returns a Bucket on backend b whose objects are the files
// under root.
func NewBucket(t testing.TB, b storage.Backend, root, prefix string) *Bucket {
	return &Bucket{T: t, B: b, Root: root, Prefix: prefix, L: layout.New(prefix)}
}

// Put writes key with data and sets its modification time.
func (f *Bucket) Put(key string, data []byte, mtime time.Time) storage.ObjectInfo {
	f.T.Helper()
	info, err := f.B.Put(context.Background(), key, bytes.NewReader(data))
	if err != nil {
		f.T.Fatal(err)
	}
	f.Touch(key, mtime)
	info.ModTime = mtime
	return info
}

// Touch sets the modification time of key.
func (f *Bucket) Touch(key string, mtime time.Time) {
	f.T.Helper()
	p := filepath.Join(f.Root, filepath.FromSlash(key))
	if err := os.Chtimes(p, mtime, mtime); err != nil {
		f.T.Fatal(err)
	}
}

// TokenmapJSON returns a tokenmap.json naming hosts, one token each.
func TokenmapJSON(t testing.TB, hosts ...string) []byte {
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

// NodeBackupSpec describes one synthetic node backup.
type NodeBackupSpec struct {
	FQDN, Name string
	Started    time.Time
	Finished   bool
	Full       bool
	// Files are pool (or, Full, backup data) files "ks/table-id/name".
	Files []string
	Hosts []string // tokenmap hosts (default: FQDN)
}

// Backup writes a node backup in Medusa's order: meta, index start, data
// (pool files only when missing), manifest, index finish, latest marker.
func (f *Bucket) Backup(s NodeBackupSpec) layout.Manifest {
	f.T.Helper()
	ctx := context.Background()
	if s.Hosts == nil {
		s.Hosts = []string{s.FQDN}
	}
	tm := TokenmapJSON(f.T, s.Hosts...)
	schema := []byte("CREATE KEYSPACE ks;")
	f.Put(f.L.SchemaKey(s.FQDN, s.Name), schema, s.Started)
	f.Put(f.L.TokenmapKey(s.FQDN, s.Name), tm, s.Started)
	f.Put(f.L.ServerVersionKey(s.FQDN, s.Name), []byte(`{"server_type": "cassandra", "release_version": "5.0.9"}`), s.Started)
	if !s.Full {
		f.Put(f.L.DifferentialKey(s.FQDN, s.Name), []byte(layout.DifferentialMarker), s.Started)
	}
	f.must(catalog.WriteStarted(ctx, f.B, f.Prefix, s.Name, s.FQDN, tm, schema, !s.Full, s.Started.Unix()))
	var m layout.Manifest
	for _, file := range s.Files {
		parts := strings.Split(file, "/")
		ref := layout.DataRef{FQDN: s.FQDN, Keyspace: parts[0], TableDir: parts[1], File: parts[2]}
		if s.Full {
			ref.Backup = s.Name
		}
		key := layouttest.DataKey(f.L, ref)
		info, err := f.B.Stat(ctx, key)
		if err != nil {
			info = f.Put(key, []byte(strings.Repeat(file, 3)), s.Started)
		}
		m = append(m, layout.Section{Keyspace: parts[0], ColumnFamily: parts[1],
			Objects: []layout.Object{{Path: key, Size: info.Size}}})
	}
	if !s.Finished {
		return m
	}
	fin := s.Started.Add(time.Hour)
	data := layout.MarshalManifest(m)
	f.Put(f.L.ManifestKey(s.FQDN, s.Name), data, fin)
	f.must(catalog.WriteFinished(ctx, f.B, f.Prefix, s.Name, s.FQDN, data, fin.Unix()))
	f.must(catalog.WriteLatest(ctx, f.B, f.Prefix, s.FQDN, s.Name, tm))
	return m
}

func (f *Bucket) must(err error) {
	f.T.Helper()
	if err != nil {
		f.T.Fatal(err)
	}
}

// Keys lists every key under the prefix, sorted.
func (f *Bucket) Keys() []string {
	f.T.Helper()
	var out []string
	for o, err := range f.B.List(context.Background(), f.L.KeyPrefix()) {
		if err != nil {
			f.T.Fatal(err)
		}
		out = append(out, o.Key)
	}
	slices.Sort(out)
	return out
}

// Read returns the content of key.
func (f *Bucket) Read(key string) string {
	f.T.Helper()
	r, _, err := f.B.Get(context.Background(), key, 0, -1)
	if err != nil {
		f.T.Fatal(err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		f.T.Fatal(err)
	}
	return string(data)
}

// Exists reports whether key exists.
func (f *Bucket) Exists(key string) bool {
	_, err := f.B.Stat(context.Background(), key)
	return err == nil
}

// Pool returns the pool key of a file "ks/table/name" of fqdn.
func (f *Bucket) Pool(fqdn, file string) string {
	parts := strings.Split(file, "/")
	return layouttest.DataKey(f.L, layout.DataRef{FQDN: fqdn, Keyspace: parts[0], TableDir: parts[1], File: parts[2]})
}

// Catalog returns a catalog over the bucket (no self-healing).
func (f *Bucket) Catalog() *catalog.Catalog { return &catalog.Catalog{Backend: f.B, Prefix: f.Prefix} }

// Listed returns "name:complete|incomplete" for each cluster backup.
func (f *Bucket) Listed() []string {
	f.T.Helper()
	cbs, err := f.Catalog().ClusterBackups(context.Background())
	if err != nil {
		f.T.Fatal(err)
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

// CheckComplete verifies every cluster backup that lists as complete: its
// manifests' files must all exist.
func (f *Bucket) CheckComplete() {
	f.T.Helper()
	ctx := context.Background()
	cbs, err := f.Catalog().ClusterBackups(ctx)
	if err != nil {
		f.T.Fatal(err)
	}
	for _, c := range cbs {
		if !c.IsComplete() {
			continue
		}
		res, err := f.Catalog().Verify(ctx, c.Name, false)
		if err != nil || !res.OK() {
			f.T.Errorf("backup %s lists as complete but does not verify: %+v, %v", c.Name, res, err)
		}
	}
}

// FourBackups writes b1..b4 of n1 (differential, finished, 40/30/20/15
// days old) chaining pool files f1..f5, a young unreferenced pool file,
// and one backup of n2 that purge of n1 must not touch.
func (f *Bucket) FourBackups() {
	f.Backup(NodeBackupSpec{FQDN: "n1", Name: "b1", Started: DaysAgo(40), Finished: true, Files: []string{"ks/t-1/f1", "ks/t-1/f2"}})
	f.Backup(NodeBackupSpec{FQDN: "n1", Name: "b2", Started: DaysAgo(30), Finished: true, Files: []string{"ks/t-1/f2", "ks/t-1/f3"}})
	f.Backup(NodeBackupSpec{FQDN: "n1", Name: "b3", Started: DaysAgo(20), Finished: true, Files: []string{"ks/t-1/f3", "ks/t-1/f4"}})
	f.Backup(NodeBackupSpec{FQDN: "n1", Name: "b4", Started: DaysAgo(15), Finished: true, Files: []string{"ks/t-1/f4", "ks/t-1/f5"}})
	f.Backup(NodeBackupSpec{FQDN: "n2", Name: "b1", Started: DaysAgo(40), Finished: true, Files: []string{"ks/t-1/f1"}})
	f.Put(f.Pool("n1", "ks/t-1/young"), []byte("young"), DaysAgo(1))
}

// FixtureChecksums returns TableChecksums of the fixture keyspaces on node
// n, failing the test when they cannot be read.
func FixtureChecksums(t testing.TB, n *Node) map[string]string {
	t.Helper()
	s, err := n.NewSession("")
	if err != nil {
		t.Fatalf("connect to cassandra: %v", err)
	}
	defer s.Close()
	sums, err := TableChecksums(t.Context(), s, FixtureKeyspaces)
	if err != nil {
		t.Fatal(err)
	}
	return sums
}
