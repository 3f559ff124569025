package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/layout/layouttest"
	"github.com/medusa-go/medusa/internal/storage/local"
)

var catUpdate = flag.Bool("update-catalog", false, "rewrite the golden files of testdata/")

const (
	fxPrefix = "tenant"
	fxT0     = int64(1700000000) // 2023-11-14 22:13:20 UTC
	fxDay    = int64(86400)
)

var fxHosts = []string{"n1.example.com", "n2.example.com", "n3.example.com"}

// catFixture is a local bucket and a medusa.ini pointing at it.
type catFixture struct {
	dir, ini string
	b        *local.Backend
}

// newCatFixture writes medusa.ini (local storage, prefix tenant, fqdn
// n1.example.com, extra lines appended) and an empty bucket.
func newCatFixture(t *testing.T, extra string) *catFixture {
	t.Helper()
	dir := t.TempDir()
	b, err := local.New(local.Options{BasePath: filepath.Join(dir, "storage"), Bucket: "bucket", Create: true})
	if err != nil {
		t.Fatal(err)
	}
	ini := filepath.Join(dir, "medusa.ini")
	content := "[storage]\nstorage_provider = local\nbucket_name = bucket\nbase_path = " +
		filepath.Join(dir, "storage") + "\nprefix = " + fxPrefix + "\nfqdn = n1.example.com\n" + extra
	if err := os.WriteFile(ini, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return &catFixture{dir: dir, ini: ini, b: b}
}

// populate creates:
//
//	b1 (t0)        n1 finished, n2 unfinished, n3 missing
//	b2 (t0+1 day)  n1, n2, n3 finished                      (complete)
//	b3 (t0+2 days) n2 finished only, differential           (latest, incomplete)
func (f *catFixture) populate(t *testing.T) {
	t.Helper()
	f.node(t, "b1", "n1.example.com", fxT0, true, false)
	f.node(t, "b1", "n2.example.com", fxT0, false, false)
	for _, h := range fxHosts {
		f.node(t, "b2", h, fxT0+fxDay, true, false)
	}
	f.node(t, "b3", "n2.example.com", fxT0+2*fxDay, true, true)
}

func (f *catFixture) put(t *testing.T, key string, data []byte, epoch int64) {
	t.Helper()
	if _, err := f.b.Put(context.Background(), key, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if epoch != 0 {
		tm := time.Unix(epoch, 0)
		if err := os.Chtimes(filepath.Join(f.b.Root(), filepath.FromSlash(key)), tm, tm); err != nil {
			t.Fatal(err)
		}
	}
}

// node writes one node backup the way a backup does, with two data files
// (100 and 50 bytes).
func (f *catFixture) node(t *testing.T, backup, fqdn string, started int64, finished, differential bool) {
	t.Helper()
	ctx := t.Context()
	l := layout.New(fxPrefix)
	var tm layout.Tokenmap
	for i, h := range fxHosts {
		up, rack, dc := true, "r1", "dc1"
		tm.Hosts = append(tm.Hosts, layout.TokenmapHost{Host: h, IsUp: &up, Rack: &rack, DC: &dc,
			Tokens: []json.Number{layouttest.Int64Token(int64(i)*3074457345618258602 - 9223372036854775807 - 1),
				layouttest.Int64Token(int64(i) * 100)}})
	}
	tokenmap, err := layout.MarshalTokenmap(tm)
	if err != nil {
		t.Fatal(err)
	}
	schema := []byte("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy'};")
	f.put(t, l.SchemaKey(fqdn, backup), schema, started)
	f.put(t, l.TokenmapKey(fqdn, backup), tokenmap, 0)
	f.put(t, l.ServerVersionKey(fqdn, backup), layout.MarshalServerVersion(layout.ServerVersion{
		ServerType: "cassandra", ReleaseVersion: "4.1.3"}), 0)
	if differential {
		f.put(t, l.DifferentialKey(fqdn, backup), []byte(layout.DifferentialMarker), 0)
	}
	catMust(t, catalog.WriteStarted(ctx, f.b, fxPrefix, backup, fqdn, tokenmap, schema, differential, started))
	root := l.DataPrefix(fqdn, backup)
	if differential {
		root = l.PoolPrefix(fqdn)
	}
	sec := layout.Section{Keyspace: "ks", ColumnFamily: "t-0123456789abcdef0123456789abcdef"}
	for _, file := range []struct {
		name string
		size int
	}{{"nb-1-big-Data.db", 100}, {"nb-1-big-Statistics.db", 50}} {
		key := root + "ks/" + sec.ColumnFamily + "/" + file.name
		f.put(t, key, bytes.Repeat([]byte{'d'}, file.size), 0)
		sec.Objects = append(sec.Objects, layout.Object{Path: key, Size: int64(file.size)})
	}
	if !finished {
		return
	}
	manifest := layout.MarshalManifest(layout.Manifest{sec})
	f.put(t, l.ManifestKey(fqdn, backup), manifest, started+90)
	catMust(t, catalog.WriteFinished(ctx, f.b, fxPrefix, backup, fqdn, manifest, started+90))
	catMust(t, catalog.WriteLatest(ctx, f.b, fxPrefix, fqdn, backup, tokenmap))
}

// run executes the CLI in-process with TZ=UTC and extra environment.
func (f *catFixture) run(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string {
		if k == "TZ" {
			return "UTC"
		}
		return env[k]
	}
	code = Execute(t.Context(), Env{Args: append([]string{"--config-file", f.ini}, args...),
		Stdout: &out, Stderr: &errOut, Getenv: getenv})
	return out.String(), errOut.String(), code
}

// catGolden compares got with testdata/<name>, rewriting it with -update-catalog.
func catGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *catUpdate {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update-catalog to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func catMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
