package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/layout/layouttest"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/local"
)

// recorder records the requests made through it: the prefix of each List,
// the key of each Get and Stat, and counts writes.
type recorder struct {
	storage.Backend
	mu     sync.Mutex
	lists  []string
	gets   []string
	stats  []string
	writes int
}

func (r *recorder) Unwrap() storage.Backend { return r.Backend }

func (r *recorder) add(dst *[]string, key string) {
	r.mu.Lock()
	*dst = append(*dst, key)
	r.mu.Unlock()
}

func (r *recorder) wrote() {
	r.mu.Lock()
	r.writes++
	r.mu.Unlock()
}

func (r *recorder) List(ctx context.Context, prefix string) iter.Seq2[storage.ObjectInfo, error] {
	r.add(&r.lists, prefix)
	return r.Backend.List(ctx, prefix)
}

func (r *recorder) Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, storage.ObjectInfo, error) {
	r.add(&r.gets, key)
	return r.Backend.Get(ctx, key, offset, length)
}

func (r *recorder) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	r.add(&r.stats, key)
	return r.Backend.Stat(ctx, key)
}

func (r *recorder) Put(ctx context.Context, key string, src storage.Source) (storage.ObjectInfo, error) {
	r.wrote()
	return r.Backend.Put(ctx, key, src)
}

func (r *recorder) Delete(ctx context.Context, key string) error {
	r.wrote()
	return r.Backend.Delete(ctx, key)
}

func (r *recorder) DeleteMany(ctx context.Context, keys []string) error {
	r.wrote()
	return r.Backend.DeleteMany(ctx, keys)
}

// TestListBackupsThousand writes the index entries of 1,000 cluster
// backups of two nodes into local storage (with the catalog's writers,
// under a prefix) and runs `medusa list-backups` through the CLI with a
// recording storage wrapper: it must list only under index/ (one List of
// the backup index, no listing of node data), read only index entries
// (one tokenmap per backup) plus one HEAD of a meta/schema.cql, write
// nothing, and print the 1,000 backups complete, oldest first.
func TestListBackupsThousand(t *testing.T) {
	const count = 1000
	dir := t.TempDir()
	b, err := local.New(local.Options{BasePath: dir, Bucket: "bucket", Create: true})
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "scale"
	hosts := []string{"n1.example.com", "n2.example.com"}
	began := time.Now()
	writeSyntheticBackups(t, b, prefix, hosts, count)
	t.Logf("wrote %d backups of %d nodes in %s", count, len(hosts), time.Since(began).Round(time.Millisecond))

	cs := &cliStore{ini: filepath.Join(dir, "medusa.ini"), prefix: prefix, fqdn: hosts[0], tmp: t.TempDir()}
	ini := fmt.Sprintf("[storage]\nstorage_provider = local\nbase_path = %s\nbucket_name = bucket\nprefix = %s\nfqdn = %s\n",
		dir, prefix, hosts[0])
	if err := os.WriteFile(cs.ini, []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	cs.wrap = func(b storage.Backend) storage.Backend { rec.Backend = b; return rec }

	began = time.Now()
	out := cs.mustMedusa(t, "list-backups")
	t.Logf("list-backups of %d backups: %s", count, time.Since(began).Round(time.Millisecond))
	line := regexp.MustCompile(`^backup-(\d{4}) \(started: [^,]+, finished: ([^)]+)\)$`)
	var listed int
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if m[1] != fmt.Sprintf("%04d", listed) || strings.HasPrefix(m[2], "Incomplete") {
			t.Fatalf("line %d of list-backups: %q, want backup-%04d complete", listed, l, listed)
		}
		listed++
	}
	if listed != count {
		t.Fatalf("list-backups printed %d backups, want %d:\n%.2000s", listed, count, out)
	}

	l := layout.New(prefix)
	if len(rec.lists) != 1 || rec.lists[0] != l.BackupIndexListPrefix()+"/" {
		t.Errorf("list-backups listed %q, want only the backup index %q", rec.lists, l.BackupIndexListPrefix()+"/")
	}
	indexGets := 0
	for _, k := range rec.gets {
		if strings.HasPrefix(k, l.BackupIndexListPrefix()+"/") && strings.Contains(k, "/tokenmap_") {
			indexGets++
		}
	}
	if len(rec.gets) != count || indexGets != count {
		t.Errorf("list-backups read %d objects (%d index tokenmaps), want one index tokenmap per backup: %d",
			len(rec.gets), indexGets, count)
	}
	if len(rec.stats) != 1 || rec.stats[0] != l.SchemaKey(hosts[0], "backup-0000") {
		t.Errorf("list-backups checked %q, want only the oldest backup's meta/schema.cql", rec.stats)
	}
	if rec.writes != 0 {
		t.Errorf("list-backups made %d writes", rec.writes)
	}

	*rec = recorder{}
	out = cs.mustMedusa(t, "list-backups", "--output", "json")
	var js []map[string]any
	if err := json.Unmarshal([]byte(out), &js); err != nil || len(js) != count {
		t.Fatalf("list-backups --output json: %d entries, %v:\n%.500s", len(js), err, out)
	}
	for _, p := range rec.lists {
		if !strings.HasPrefix(p, l.IndexPrefix()) {
			t.Errorf("list-backups --output json listed %q, outside %s", p, l.IndexPrefix())
		}
	}
}

// writeSyntheticBackups writes, for each host and backup-NNNN, meta/
// schema.cql and the index entries a finished full backup leaves, one hour
// apart, 16 writes at a time.
func writeSyntheticBackups(t *testing.T, b storage.Backend, prefix string, hosts []string, count int) {
	t.Helper()
	var tm layout.Tokenmap
	up, rack, dc := true, "rack1", "dc1"
	for i, h := range hosts {
		tm.Hosts = append(tm.Hosts, layout.TokenmapHost{Host: h, Tokens: []json.Number{layouttest.Int64Token(int64(i) * 1000)},
			IsUp: &up, Rack: &rack, DC: &dc})
	}
	tokenmap, err := layout.MarshalTokenmap(tm)
	if err != nil {
		t.Fatal(err)
	}
	l := layout.New(prefix)
	const t0 = int64(1_700_000_000)
	g, ctx := errgroup.WithContext(t.Context())
	g.SetLimit(16)
	for i := range count {
		for _, h := range hosts {
			g.Go(func() error {
				name, start := fmt.Sprintf("backup-%04d", i), t0+int64(i)*3600
				manifest := layout.MarshalManifest(layout.Manifest{{Keyspace: "ks", ColumnFamily: "t-1",
					Objects: []layout.Object{{Path: l.DataPrefix(h, "") + "ks/t-1/nb-1-big-Data.db", Size: 7}}}})
				schema := []byte("CREATE KEYSPACE ks;")
				if _, err := b.Put(ctx, l.SchemaKey(h, name), bytes.NewReader(schema)); err != nil {
					return err
				}
				if err := catalog.WriteStarted(ctx, b, prefix, name, h, tokenmap, schema, false, start); err != nil {
					return err
				}
				return catalog.WriteFinished(ctx, b, prefix, name, h, manifest, start+60)
			})
		}
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}
