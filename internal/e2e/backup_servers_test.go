package e2e

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/medusa-go/medusa/internal/backup"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/checksum"
	"github.com/medusa-go/medusa/internal/storage/local"
	"github.com/medusa-go/medusa/internal/storage/s3"
	"github.com/medusa-go/medusa/internal/testbed"
)

const itFQDN = "node1.example.com"

// counting records the keys a backup writes. It exposes the backend it
// wraps, so the backup still finds S3's ExpectedHash capability.
type counting struct {
	storage.Backend
	mu   sync.Mutex
	puts []string
}

func (c *counting) Put(ctx context.Context, key string, src storage.Source) (storage.ObjectInfo, error) {
	c.mu.Lock()
	c.puts = append(c.puts, key)
	c.mu.Unlock()
	return c.Backend.Put(ctx, key, src)
}

func (c *counting) Unwrap() storage.Backend { return c.Backend }

// take returns and forgets the keys written under prefix.
func (c *counting) take(prefix string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, k := range c.puts {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	c.puts = nil
	slices.Sort(out)
	return out
}

// target is a store under test and how it records hashes.
type target struct {
	name   string
	prefix string
	open   func(t *testing.T) storage.Backend
	// wantHash returns the MD5 field a newly uploaded file must get.
	wantHash func(t *testing.T, path string) string
}

const (
	itThreshold = 4 << 10 // files from 4 KiB up are multipart uploads (one 5 MiB part: "<hex>-1")
	itChunk     = 5 << 20
)

func targets() []target {
	return []target{
		{
			name: "local", prefix: "",
			open: func(t *testing.T) storage.Backend {
				b, err := local.New(local.Options{BasePath: t.TempDir(), Bucket: "bucket", Create: true})
				if err != nil {
					t.Fatal(err)
				}
				return b
			},
			wantHash: func(t *testing.T, path string) string { return fileMD5(t, path) },
		},
		{
			name: "s3", prefix: "tenant-s3",
			open: func(t *testing.T) storage.Backend {
				srv := testbed.S3T(t)
				keyFile := filepath.Join(t.TempDir(), "credentials")
				if err := srv.WriteKeyFile(keyFile, srv.Restricted); err != nil {
					t.Fatal(err)
				}
				b, err := s3.New(t.Context(), s3.Options{Provider: "s3_compatible", Bucket: srv.Bucket,
					Region: srv.Region, Host: srv.Host, Port: srv.Port, KeyFile: keyFile,
					MultipartThreshold: itThreshold, MultipartChunkSize: itChunk, MultipartConcurrency: 4})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = b.Close() })
				return b
			},
			wantHash: func(t *testing.T, path string) string {
				src, err := storage.OpenFileSource(path)
				if err != nil {
					t.Fatal(err)
				}
				defer src.Close()
				h, err := checksum.ExpectedETag(t.Context(), src, itThreshold, itChunk)
				if err != nil {
					t.Fatal(err)
				}
				return h
			},
		},
	}
}

// TestBackupsAgainstRealServers backs up the test-bed Cassandra node into
// local storage and a real S3 server: full, differential, more rows +
// flush, differential again (only the new SSTables are uploaded), and on
// S3 a differential with MD5 checks (multipart ETags match: nothing
// uploaded).
func TestBackupsAgainstRealServers(t *testing.T) {
	n := testNode(t)
	for i, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			c := &counting{Backend: tg.open(t)}
			nd := newNodeDeps(t, n, c)
			l := layout.New(tg.prefix)
			// Snapshots are kept until the manifest was checked against
			// them, except in the last backup, which must clear its own.
			run := func(name string, mode backup.Mode, md5, keep bool) *backup.Result {
				t.Helper()
				res, err := backup.Run(t.Context(), nd.deps, backup.Options{Name: name, FQDN: itFQDN,
					Prefix: tg.prefix, Mode: mode, Concurrency: 4, MD5Checks: md5, MD5Concurrency: 2,
					KeepSnapshot: keep, LockDir: t.TempDir()})
				if err != nil {
					t.Fatalf("backup %s: %v", name, err)
				}
				return res
			}
			clear := func(name string) {
				t.Helper()
				if _, err := n.Nodetool(t.Context(), "clearsnapshot", "-t", "medusa-"+name); err != nil {
					t.Fatal(err)
				}
			}

			run("full1", backup.Full, false, true)
			files := checkManifest(t, tg, l, c, nd.seen["medusa-full1"], "full1", "full1")
			if got := c.take(l.DataPrefix(itFQDN, "full1")); len(got) != files {
				t.Fatalf("full backup uploaded %d files, its snapshot has %d", len(got), files)
			}
			clear("full1")

			run("diff1", backup.Differential, false, true)
			files = checkManifest(t, tg, l, c, nd.seen["medusa-diff1"], "diff1", "")
			if got := c.take(l.PoolPrefix(itFQDN)); len(got) != files {
				t.Fatalf("first differential backup uploaded %d files, its snapshot has %d", len(got), files)
			}
			clear("diff1")
			if tg.name == "s3" && countMultipart(t, c, l.ManifestKey(itFQDN, "diff1")) == 0 {
				t.Fatalf("no file of diff1 was a multipart upload (threshold %d): the ETag rule is untested", itThreshold)
			}
			pool := listKeys(t, c, l.PoolPrefix(itFQDN))

			if err := writeAndFlush(t.Context(), n, 1000*(i+1), 50); err != nil {
				t.Fatal(err)
			}
			res := run("diff2", backup.Differential, false, true)
			files = checkManifest(t, tg, l, c, nd.seen["medusa-diff2"], "diff2", "")
			want := newFiles(l, nd.seen["medusa-diff2"], pool)
			got := c.take(l.PoolPrefix(itFQDN))
			if !slices.Equal(got, want) || len(want) == 0 || len(want) >= files {
				t.Fatalf("second differential backup uploaded %d files:\n%s\nwant the %d new ones of %d:\n%s",
					len(got), strings.Join(got, "\n"), len(want), files, strings.Join(want, "\n"))
			}
			if res.FilesNew != len(want) || res.FilesKept != files-len(want) {
				t.Errorf("result: %d new, %d kept; want %d and %d", res.FilesNew, res.FilesKept, len(want), files-len(want))
			}
			clear("diff2")

			// No new fixture data: only what the snapshot's flush of system
			// tables produced is uploaded; with MD5 checks on S3 (multipart
			// ETags included) nothing is re-uploaded; the snapshot is cleared.
			pool = listKeys(t, c, l.PoolPrefix(itFQDN))
			res = run("diff3", backup.Differential, tg.name == "s3", false)
			want = newFiles(l, nd.seen["medusa-diff3"], pool)
			if got := c.take(l.PoolPrefix(itFQDN)); !slices.Equal(got, want) || res.FilesReuploaded != 0 {
				t.Fatalf("differential backup without new data uploaded %v (%d re-uploads), want %v",
					got, res.FilesReuploaded, want)
			}
			for _, k := range want {
				if !strings.Contains(k, "/system") {
					t.Errorf("backup without new fixture data uploaded %s", k)
				}
			}
			if left := snapshotDirsLeft(t, n, "medusa-diff3"); len(left) > 0 {
				t.Errorf("backup diff3 left its snapshot: %v", left[0])
			}
			checkIndex(t, l, c, map[string]bool{"full1": false, "diff1": true, "diff2": true, "diff3": true})
		})
	}
}

// newFiles returns the pool keys of the snapshot's files that are not in
// pool, sorted.
func newFiles(l layout.Layout, snap []backup.Table, pool []string) []string {
	var out []string
	for _, tb := range snap {
		for _, f := range tb.Files {
			if key := l.TablePrefix(itFQDN, "", tb.Keyspace, tb.TableDir) + f.RelPath; !slices.Contains(pool, key) {
				out = append(out, key)
			}
		}
	}
	slices.Sort(out)
	return out
}

// checkManifest verifies that the manifest of backup lists exactly the
// files of its snapshot, at their keys (dataBackup "" for the pool), with
// their sizes and the hashes the store reports; it returns the number of
// files.
func checkManifest(t *testing.T, tg target, l layout.Layout, b storage.Backend, snap []backup.Table,
	name, dataBackup string) int {
	t.Helper()
	if len(snap) == 0 {
		t.Fatalf("backup %s: no snapshot recorded", name)
	}
	m := readManifest(t, b, l.ManifestKey(itFQDN, name))
	if len(m) != len(snap) {
		t.Fatalf("backup %s: manifest has %d sections, the snapshot %d tables", name, len(m), len(snap))
	}
	files := 0
	for i, tb := range snap {
		sec := m[i]
		if sec.Keyspace != tb.Keyspace || sec.ColumnFamily != tb.TableDir {
			t.Fatalf("section %d is %s/%s, want %s/%s", i, sec.Keyspace, sec.ColumnFamily, tb.Keyspace, tb.TableDir)
		}
		byPath := map[string]layout.Object{}
		for _, o := range sec.Objects {
			byPath[o.Path] = o
		}
		if len(byPath) != len(tb.Files) {
			t.Fatalf("%s/%s: manifest lists %d objects, the snapshot has %d files", tb.Keyspace, tb.TableDir,
				len(sec.Objects), len(tb.Files))
		}
		for _, f := range tb.Files {
			files++
			key := l.TablePrefix(itFQDN, dataBackup, tb.Keyspace, tb.TableDir) + f.RelPath
			o, ok := byPath[key]
			if !ok || o.Size != f.Size {
				t.Fatalf("%s: manifest entry %+v, want size %d", key, o, f.Size)
			}
			if ref, err := l.ParseDataKey(key); err != nil || ref.FQDN != itFQDN || ref.Backup != dataBackup {
				t.Fatalf("%s parses to %+v, %v", key, ref, err)
			}
			info, err := b.Stat(t.Context(), key)
			if err != nil || info.Size != f.Size {
				t.Fatalf("stored %s: %+v, %v", key, info, err)
			}
			if o.MD5 == nil {
				if tg.name != "local" {
					t.Fatalf("%s: MD5 is null", key)
				}
				continue // a file reused from the local pool: Medusa writes null
			}
			if *o.MD5 != tg.wantHash(t, f.Path) || (info.Hash != "" && info.Hash != *o.MD5) {
				t.Fatalf("%s: MD5 %s, want %s (store reports %q)", key, *o.MD5, tg.wantHash(t, f.Path), info.Hash)
			}
		}
	}
	return files
}

func checkIndex(t *testing.T, l layout.Layout, b storage.Backend, backups map[string]bool) {
	t.Helper()
	entries, ignored := l.ParseIndexKeys(listKeys(t, b, l.BackupIndexListPrefix()))
	if len(ignored) > 0 {
		t.Fatalf("index keys that do not parse: %v", ignored)
	}
	nodes := layout.NodeBackups(entries)
	if len(nodes) < len(backups) {
		t.Fatalf("index lists %d node backups, want at least %d", len(nodes), len(backups))
	}
	for _, nb := range nodes {
		diff, ok := backups[nb.Name]
		if !ok {
			continue
		}
		if nb.FQDN != itFQDN || !nb.IsFinished() || nb.Differential != diff {
			t.Errorf("index node backup %+v: want finished, differential %v", nb, diff)
		}
	}
}

// countMultipart counts the manifest objects with a multipart ETag.
func countMultipart(t *testing.T, b storage.Backend, key string) int {
	n := 0
	for _, s := range readManifest(t, b, key) {
		for _, o := range s.Objects {
			if o.MD5 != nil && strings.Contains(*o.MD5, "-") {
				n++
			}
		}
	}
	return n
}

func readManifest(t *testing.T, b storage.Backend, key string) layout.Manifest {
	t.Helper()
	rc, _, err := b.Get(t.Context(), key, 0, -1)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	m, err := layout.UnmarshalManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func listKeys(t *testing.T, b storage.Backend, prefix string) []string {
	t.Helper()
	var out []string
	for o, err := range b.List(t.Context(), prefix) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, o.Key)
	}
	return out
}

func fileMD5(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(data)
	return hex.EncodeToString(sum[:])
}
