package backup

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/layout/layouttest"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/local"
)

// fakeNode answers CQL questions; the first failures calls fail.
type fakeNode struct {
	mu       sync.Mutex
	tokenmap layout.Tokenmap
	failures int
	calls    int
}

const testSchema = "CREATE KEYSPACE ks1 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};"

func (n *fakeNode) fail() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.calls++
	if n.failures > 0 {
		n.failures--
		return errors.New("connection refused")
	}
	return nil
}

func (n *fakeNode) SchemaCQL(context.Context) (string, error) {
	if err := n.fail(); err != nil {
		return "", err
	}
	return testSchema, nil
}

func (n *fakeNode) TokenMap(context.Context) (layout.Tokenmap, error) { return n.tokenmap, nil }

func (n *fakeNode) ServerVersion(context.Context) (layout.ServerVersion, error) {
	return layout.ServerVersion{ServerType: "cassandra", ReleaseVersion: "5.0.9"}, nil
}

func tokenmapOf(hosts ...string) layout.Tokenmap {
	var tm layout.Tokenmap
	up, rack, dc := true, "rack1", "dc1"
	for i, h := range hosts {
		tm.Hosts = append(tm.Hosts, layout.TokenmapHost{Host: h,
			Tokens: []json.Number{layouttest.Int64Token(int64(i*1000 - 5000))}, IsUp: &up, Rack: &rack, DC: &dc})
	}
	return tm
}

// fakeCassandra is a synthetic data directory: live table directories
// with SSTable files, snapshotted by hard links like Cassandra does.
type fakeCassandra struct {
	t       *testing.T
	dataDir string
	mu      sync.Mutex
	taken   []string
	cleared []string
	failErr error // Snapshot fails with it
}

func newFakeCassandra(t *testing.T) *fakeCassandra {
	return &fakeCassandra{t: t, dataDir: t.TempDir()}
}

// write creates a live file <ks>/<tableDir>/<rel> with content.
func (c *fakeCassandra) write(ks, tableDir, rel, content string) {
	p := filepath.Join(c.dataDir, ks, tableDir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		c.t.Fatal(err)
	}
}

// table creates an empty live table directory.
func (c *fakeCassandra) table(ks, tableDir string) {
	if err := os.MkdirAll(filepath.Join(c.dataDir, ks, tableDir), 0o755); err != nil {
		c.t.Fatal(err)
	}
}

func (c *fakeCassandra) Create(_ context.Context, tag string) error {
	c.mu.Lock()
	c.taken = append(c.taken, tag)
	c.mu.Unlock()
	if c.failErr != nil {
		return c.failErr
	}
	tables, _ := filepath.Glob(filepath.Join(c.dataDir, "*", "*"))
	for _, td := range tables {
		snap := filepath.Join(td, "snapshots", tag)
		if err := os.MkdirAll(snap, 0o755); err != nil {
			return err
		}
		err := filepath.WalkDir(td, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(td, p)
			if d.IsDir() {
				if rel == "snapshots" {
					return filepath.SkipDir
				}
				return os.MkdirAll(filepath.Join(snap, rel), 0o755)
			}
			return os.Link(p, filepath.Join(snap, rel))
		})
		if err != nil {
			return err
		}
		for _, f := range []string{"manifest.json", "schema.cql"} {
			if err := os.WriteFile(filepath.Join(snap, f), []byte("{}"), 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *fakeCassandra) Clear(_ context.Context, tag string) error {
	c.mu.Lock()
	c.cleared = append(c.cleared, tag)
	c.mu.Unlock()
	dirs, _ := filepath.Glob(filepath.Join(c.dataDir, "*", "*", "snapshots", tag))
	for _, d := range dirs {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
	}
	return nil
}

// find is a FindFunc over the synthetic data directory.
func (c *fakeCassandra) find(_ context.Context, tag string) ([]Table, error) {
	dirs, err := filepath.Glob(filepath.Join(c.dataDir, "*", "*", "snapshots", tag))
	if err != nil {
		return nil, err
	}
	slices.Sort(dirs)
	var out []Table
	for _, d := range dirs {
		tableDir := filepath.Dir(filepath.Dir(d))
		t := Table{Keyspace: filepath.Base(filepath.Dir(tableDir)), TableDir: filepath.Base(tableDir), Dir: d}
		err := filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			fi, err := e.Info()
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(d, p)
			t.Files = append(t.Files, File{RelPath: filepath.ToSlash(rel), Path: p, Size: fi.Size()})
			return nil
		})
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func (c *fakeCassandra) snapshotExists(tag string) bool {
	dirs, _ := filepath.Glob(filepath.Join(c.dataDir, "*", "*", "snapshots", tag))
	return len(dirs) > 0
}

// store wraps the local backend: it counts Puts, can fail or block them,
// and can report MD5 hashes in listings (as S3 does) instead of none.
type store struct {
	storage.Backend
	mu       sync.Mutex
	puts     []string
	failKey  string                    // Put of a key containing it fails
	block    func(ctx context.Context) // called before every data Put
	listHash bool                      // List reports the hex MD5 of content
	root     string
	onPut    func(key string)
}

func newStore(t *testing.T) *store {
	b, err := local.New(local.Options{BasePath: t.TempDir(), Bucket: "bucket", Create: true})
	if err != nil {
		t.Fatal(err)
	}
	return &store{Backend: b, root: b.Root()}
}

func (s *store) Put(ctx context.Context, key string, src storage.Source) (storage.ObjectInfo, error) {
	s.mu.Lock()
	s.puts = append(s.puts, key)
	onPut := s.onPut
	s.mu.Unlock()
	if onPut != nil {
		onPut(key)
	}
	if strings.Contains(key, "/data/") && s.block != nil {
		s.block(ctx)
	}
	if s.failKey != "" && strings.Contains(key, s.failKey) {
		return storage.ObjectInfo{}, errors.New("injected failure")
	}
	return s.Backend.Put(ctx, key, src)
}

func (s *store) List(ctx context.Context, prefix string) iter.Seq2[storage.ObjectInfo, error] {
	return func(yield func(storage.ObjectInfo, error) bool) {
		for o, err := range s.Backend.List(ctx, prefix) {
			if err == nil && s.listHash {
				o.Hash = fileMD5(filepath.Join(s.root, filepath.FromSlash(o.Key)))
			}
			if !yield(o, err) {
				return
			}
		}
	}
}

// dataPuts returns the data keys written, sorted.
func (s *store) dataPuts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, k := range s.puts {
		if strings.Contains(k, "/data/") {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func (s *store) resetPuts() {
	s.mu.Lock()
	s.puts = nil
	s.mu.Unlock()
}

// read returns an object's content ("" and false when missing).
func (s *store) read(t *testing.T, key string) (string, bool) {
	t.Helper()
	rc, _, err := s.Backend.Get(t.Context(), key, 0, -1)
	if errors.Is(err, storage.ErrNotExist) {
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), true
}

// keys lists every key under prefix.
func (s *store) keys(t *testing.T, prefix string) []string {
	t.Helper()
	var out []string
	for o, err := range s.Backend.List(t.Context(), prefix) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, o.Key)
	}
	return out
}

func fileMD5(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

func md5Of(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// fakeClock advances only when slept on.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}
