package restore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/layout/layouttest"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/local"
)

const (
	fxFQDN   = "node1.example.com"
	fxBackup = "b1"
)

// fakeNode is a Cassandra node that is up or down, records what it was
// asked and can fail.
type fakeNode struct {
	mu         sync.Mutex
	running    bool
	up         bool // passes the health check (when running)
	calls      []string
	startFails int   // next starts that fail
	deafStarts int   // next starts after which the node runs but never passes the health check
	drainErr   error // returned by Drain
	// drainDeafens: a failing drain still closed the native transport.
	drainDeafens bool
	stopErr      error
	rows         int
	first        []string
	onStart      func() // runs at each successful start (Cassandra writing files)
}

func (n *fakeNode) record(c string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.calls = append(n.calls, c)
}

func (n *fakeNode) Calls() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.calls...)
}

func (n *fakeNode) Up(context.Context) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.running && n.up
}

func (n *fakeNode) Down(context.Context) (bool, string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.running {
		return false, "fake node running"
	}
	return true, ""
}

func (n *fakeNode) SeedUp(_ context.Context, host string) bool {
	n.record("seed " + host)
	return host == "seed-up"
}

func (n *fakeNode) Drain(context.Context) error {
	n.record("drain")
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.drainErr != nil && n.drainDeafens {
		n.up = false
	}
	return n.drainErr
}

func (n *fakeNode) Stop(context.Context) error {
	n.record("stop")
	if n.stopErr != nil {
		return n.stopErr
	}
	n.mu.Lock()
	n.running = false
	n.mu.Unlock()
	return nil
}

func (n *fakeNode) Start(context.Context) error {
	n.record("start")
	n.mu.Lock()
	if n.startFails > 0 {
		n.startFails--
		n.mu.Unlock()
		return errors.New("start_cmd: exit status 1")
	}
	n.running, n.up = true, n.deafStarts == 0
	n.deafStarts = max(n.deafStarts-1, 0)
	hook := n.onStart
	n.mu.Unlock()
	if hook != nil {
		hook()
	}
	return nil
}

func (n *fakeNode) Query(_ context.Context, stmt string) (int, []string, error) {
	n.record("query " + stmt)
	return n.rows, n.first, nil
}

// fakeLoader records the directories it loads.
type fakeLoader struct{ dirs []string }

func (l *fakeLoader) Load(_ context.Context, dir string) error {
	l.dirs = append(l.dirs, dir)
	return nil
}

// fixture is a node (data, commit log, saved caches, cassandra.yaml), a
// local bucket holding one full backup, and a restore wired to both.
type fixture struct {
	t     *testing.T
	root  string
	store *local.Backend
	paths NodePaths
	temp  string
	node  *fakeNode
	l     layout.Layout
}

// tables maps "keyspace/table dir" to file path (inside the table dir) to content.
type tables map[string]map[string]string

func newFixture(t *testing.T) *fixture {
	t.Helper()
	root := t.TempDir()
	store, err := local.New(local.Options{BasePath: filepath.Join(root, "bucket-root"), Bucket: "bucket", Create: true})
	if err != nil {
		t.Fatal(err)
	}
	node := filepath.Join(root, "node")
	f := &fixture{t: t, root: root, store: store, temp: filepath.Join(root, "tmp"), node: &fakeNode{running: true, up: true},
		paths: NodePaths{DataDir: filepath.Join(node, "data"), CommitlogDir: filepath.Join(node, "commitlog"),
			SavedCachesDir: filepath.Join(node, "saved_caches"), ConfigFile: filepath.Join(node, "cassandra.yaml")},
		l: layout.New("")}
	for _, d := range []string{f.paths.DataDir, f.paths.CommitlogDir, f.paths.SavedCachesDir, f.temp} {
		mustMkdir(t, d)
	}
	writeFile(t, f.paths.ConfigFile, "cluster_name: 'x'\nnum_tokens: 16\n# initial_token:\nlisten_address: 127.0.0.1\n")
	writeFile(t, filepath.Join(f.paths.CommitlogDir, "CommitLog-7-100.log"), "old segment")
	writeFile(t, filepath.Join(f.paths.SavedCachesDir, "KeyCache-g.db"), "old cache")
	return f
}

func mustMkdir(t *testing.T, d string) {
	t.Helper()
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	mustMkdir(t, filepath.Dir(path))
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// backup stores a finished full backup of tbl (sections in sorted order).
func (f *fixture) backup(tbl tables) {
	f.t.Helper()
	backupTo(f, f.store, tbl)
}

// backupTo stores a finished full backup of tbl in b, recording the
// hashes b reports.
func backupTo(f *fixture, b storage.Backend, tbl tables) {
	f.t.Helper()
	ctx := f.t.Context()
	var m layout.Manifest
	for _, name := range sortedKeys(tbl) {
		ks, dir, _ := strings.Cut(name, "/")
		s := layout.Section{Keyspace: ks, ColumnFamily: dir, Objects: []layout.Object{}}
		for _, rel := range sortedKeys(tbl[name]) {
			key := f.l.TablePrefix(fxFQDN, fxBackup, ks, dir) + rel
			info, err := b.Put(ctx, key, strings.NewReader(tbl[name][rel]))
			if err != nil {
				f.t.Fatal(err)
			}
			h := info.Hash
			s.Objects = append(s.Objects, layout.Object{Path: key, MD5: &h, Size: info.Size})
		}
		m = append(m, s)
	}
	tm, err := layout.MarshalTokenmap(layout.Tokenmap{Hosts: []layout.TokenmapHost{
		{Host: fxFQDN, Tokens: []json.Number{layouttest.Int64Token(-100), layouttest.Int64Token(4200)}},
		{Host: "node2.example.com", Tokens: []json.Number{layouttest.Int64Token(7)}},
	}})
	if err != nil {
		f.t.Fatal(err)
	}
	for key, data := range map[string][]byte{
		f.l.SchemaKey(fxFQDN, fxBackup):   []byte("CREATE KEYSPACE ks;"),
		f.l.TokenmapKey(fxFQDN, fxBackup): tm,
		f.l.ManifestKey(fxFQDN, fxBackup): layout.MarshalManifest(m),
	} {
		if _, err := b.Put(ctx, key, bytes.NewReader(data)); err != nil {
			f.t.Fatal(err)
		}
	}
}

// nodeTables writes table directories into the node's data directory.
func (f *fixture) nodeTables(tbl tables) {
	f.t.Helper()
	for name, files := range tbl {
		dir := filepath.Join(f.paths.DataDir, filepath.FromSlash(name))
		mustMkdir(f.t, dir)
		for rel, content := range files {
			writeFile(f.t, filepath.Join(dir, filepath.FromSlash(rel)), content)
		}
	}
}

// options returns restore options for this fixture.
func (f *fixture) options() Options {
	return Options{Backup: fxBackup, FQDN: fxFQDN, InPlace: true, TempDir: f.temp, Concurrency: 3,
		ManageCassandra: true, Node: f.paths, ID: "test",
		Waits: Waits{Down: Backoff{Attempts: 3, Initial: time.Millisecond, Max: time.Millisecond},
			Up:           Backoff{Attempts: 3, Initial: time.Millisecond, Max: time.Millisecond},
			SeedInterval: time.Millisecond, SeedAttempts: 3}}
}

func (f *fixture) deps() Deps {
	return Deps{Storage: f.store, Node: f.node, Loader: &fakeLoader{},
		Space: func(string) (uint64, uint64, error) { return 1 << 40, 1, nil }}
}

func (f *fixture) run(o Options) (*Result, error) {
	return runText(f.t.Context(), f.deps(), o, &bytes.Buffer{})
}

// tree returns every file under dir (relative path -> content) and every
// directory (relative path -> "<dir>").
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if e.IsDir() {
			out[rel] = "<dir>"
			return nil
		}
		b, err := os.ReadFile(p)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// nodeTree is the tree of the node's directories (data, commit log,
// caches, cassandra.yaml).
func (f *fixture) nodeTree() map[string]string { return tree(f.t, filepath.Dir(f.paths.DataDir)) }

func diffTrees(a, b map[string]string) []string {
	var d []string
	for k, v := range a {
		if w, ok := b[k]; !ok {
			d = append(d, "only before: "+k)
		} else if v != w {
			d = append(d, "changed: "+k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			d = append(d, "only after: "+k)
		}
	}
	sort.Strings(d)
	return d
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// partSizer adds a checksum.PartSizer capability to a backend: it uploads
// every object in parts of part bytes.
type partSizer struct {
	storage.Backend
	part int64
}

func (p partSizer) PartSize(int64) int64 { return p.part }
