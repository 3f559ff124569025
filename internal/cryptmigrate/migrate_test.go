package cryptmigrate_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/crypt"
	"github.com/medusa-go/medusa/internal/cryptmigrate"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/testbed"
)

var errCrash = errors.New("injected crash")

// crasher lets budget writes through (each Put, each deleted key), then
// fails every write, like a process killed at that point: the write
// that crosses the budget does not happen (a batch of deletes is cut).
type crasher struct {
	storage.Backend
	mu     sync.Mutex
	budget int // < 0: no limit
	writes int
}

func (c *crasher) take(n int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.budget >= 0 {
		n = min(n, c.budget)
		c.budget -= n
	}
	c.writes += n
	return n
}

func (c *crasher) Put(ctx context.Context, key string, src storage.Source) (storage.ObjectInfo, error) {
	if c.take(1) == 0 {
		return storage.ObjectInfo{}, errCrash
	}
	return c.Backend.Put(ctx, key, src)
}

func (c *crasher) DeleteMany(ctx context.Context, keys []string) error {
	n := c.take(len(keys))
	if err := c.Backend.DeleteMany(ctx, keys[:n]); err != nil {
		return err
	}
	if n < len(keys) {
		return errCrash
	}
	return nil
}

func (c *crasher) Delete(ctx context.Context, key string) error {
	return c.DeleteMany(ctx, []string{key})
}

func (c *crasher) Close() error { return nil }

func testRing(t *testing.T) *crypt.Ring {
	t.Helper()
	ring, err := crypt.NewRing("test.keys", "k1", map[string][]byte{"k1": bytes.Repeat([]byte{7}, crypt.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

// fixture: n1's four differential backups sharing pool files, an unused
// young pool file, n2's backup, and a full backup of n1 with a
// dropped_columns.json.
func fixture(t *testing.T) *testbed.Bucket {
	f := testbed.NewLocalBucket(t, "p")
	f.FourBackups()
	f.Backup(testbed.NodeBackupSpec{FQDN: "n1", Name: "full0", Started: testbed.DaysAgo(35), Finished: true, Full: true,
		Files: []string{"ks/t-1/g1", "ks/t-1/g2"}})
	f.Put(f.L.DroppedColumnsKey("n1", "full0"), []byte("[]"), testbed.DaysAgo(35))
	return f
}

func migrator(f *testbed.Bucket, b storage.Backend, ring *crypt.Ring) *cryptmigrate.Migrator {
	return &cryptmigrate.Migrator{Plain: b, Sealed: crypt.New(b, ring, f.L.KeyPrefix()), Prefix: f.Prefix,
		TempDir: f.T.TempDir(), Concurrency: 2}
}

// contents returns, per node backup, its schema and every object its
// manifest names ("<keyspace>/<table dir>/<file>=<content>", in manifest
// order), read from the manifest at key (meta/manifest.json, or the index
// copy) through plain or sealed, whichever the object is.
func contents(t *testing.T, f *testbed.Bucket, ring *crypt.Ring, index bool) map[string][]string {
	t.Helper()
	ctx := t.Context()
	sealed := crypt.New(f.B, ring, f.L.KeyPrefix())
	read := func(key string) string {
		t.Helper()
		r, _, err := f.B.Get(ctx, key, 0, -1)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		data, _ := io.ReadAll(r)
		r.Close()
		if !crypt.IsSealed(data) {
			return string(data)
		}
		r, _, err = sealed.Get(ctx, key, 0, -1)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		defer r.Close()
		if data, err = io.ReadAll(r); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		return string(data)
	}
	out := map[string][]string{}
	for _, nb := range [][2]string{{"n1", "b1"}, {"n1", "b2"}, {"n1", "b3"}, {"n1", "b4"}, {"n2", "b1"}, {"n1", "full0"}} {
		key := f.L.ManifestKey(nb[0], nb[1])
		if index {
			key = f.L.IndexManifestKey(nb[1], nb[0])
		}
		m, err := layout.UnmarshalManifest([]byte(read(key)))
		if err != nil {
			t.Fatal(err)
		}
		got := []string{"schema=" + read(f.L.SchemaKey(nb[0], nb[1])), "index schema=" + read(f.L.IndexSchemaKey(nb[1], nb[0]))}
		for _, s := range m {
			for _, o := range s.Objects {
				rel, ok := layout.TableRelPath(o.Path, s.Keyspace, s.ColumnFamily)
				if !ok {
					t.Fatalf("%s names %s outside its table", key, o.Path)
				}
				c := read(o.Path)
				if int64(len(c)) != o.Size {
					t.Errorf("%s: %s has %d bytes, the manifest says %d", key, o.Path, len(c), o.Size)
				}
				got = append(got, s.Keyspace+"/"+s.ColumnFamily+"/"+rel+"="+c)
			}
		}
		out[nb[0]+"/"+nb[1]] = got
	}
	return out
}

func sameContents(t *testing.T, got, want map[string][]string) {
	t.Helper()
	for k, w := range want {
		if g := got[k]; !slices.Equal(g, w) {
			t.Errorf("%s:\n%s\nwant:\n%s", k, strings.Join(g, "\n"), strings.Join(w, "\n"))
		}
	}
}

// checkEncrypted: every object a manifest names is sealed, no plain data
// object is left, each backup verifies deep through the key ring, and
// the prefix is marked encrypted.
func checkEncrypted(t *testing.T, f *testbed.Bucket, ring *crypt.Ring) {
	t.Helper()
	ctx := t.Context()
	for _, key := range f.Keys() {
		if !strings.Contains(key, "/data/") {
			continue
		}
		r, _, err := f.B.Get(ctx, key, 0, 16)
		if err != nil {
			t.Fatal(err)
		}
		head, _ := io.ReadAll(r)
		r.Close()
		if !crypt.IsSealed(head) {
			t.Errorf("plain data object left: %s", key)
		}
	}
	sealed := crypt.New(f.B, ring, f.L.KeyPrefix())
	cat := &catalog.Catalog{Backend: sealed, Prefix: f.Prefix}
	for _, name := range []string{"b1", "b2", "b3", "b4", "full0"} {
		res, err := cat.VerifyDeep(ctx, name, false, catalog.DeepOptions{})
		if err != nil || !res.OK() || res.Deep.Read == 0 {
			t.Errorf("deep verify of %s: %+v %+v, %v", name, res, res.Deep, err)
		}
	}
	if err := crypt.CheckMode(ctx, f.B, f.L.KeyPrefix(), true); err != nil {
		t.Errorf("with the key ring: %v", err)
	}
	if err := crypt.CheckMode(ctx, f.B, f.L.KeyPrefix(), false); err == nil {
		t.Error("without the key ring: not refused")
	}
}

func TestEncryptBackups(t *testing.T) {
	t.Parallel()
	f := fixture(t)
	ring := testRing(t)
	want := contents(t, f, ring, false)
	listed := f.Listed()
	before := f.Keys()

	m := migrator(f, f.B, ring)
	m.DryRun = true
	sum, err := m.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// f1..f5, g1, g2 and n2's f1; young is deleted only.
	if sum.Sealed != 8 || sum.Shared != 3 || sum.Deleted != 9 || len(sum.Backups) != 6 {
		t.Errorf("dry run: %+v", sum)
	}
	if got := f.Keys(); !slices.Equal(got, before) {
		t.Fatalf("the dry run changed the bucket:\n%s", strings.Join(got, "\n"))
	}

	sum, err = migrator(f, f.B, ring).Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// Meta: 6 schema.cql, 6 index copies, 1 dropped_columns.json.
	if sum.Sealed != 8 || sum.Shared != 3 || sum.Meta != 13 || sum.Deleted != 9 || len(sum.Backups) != 6 {
		t.Errorf("run: %+v", sum)
	}
	var out bytes.Buffer
	if err := sum.WriteText(&out, false); err != nil || !strings.Contains(out.String(), "Encrypted 6 node backup(s): 8 data object(s)") {
		t.Errorf("summary:\n%s", out.String())
	}
	sameContents(t, contents(t, f, ring, false), want)
	sameContents(t, contents(t, f, ring, true), want)
	if got := f.Listed(); !slices.Equal(got, listed) {
		t.Errorf("listed %v, want %v", got, listed)
	}
	if f.Exists(f.Pool("n1", "ks/t-1/young")) || f.Exists(f.Pool("n1", "ks/t-1/f1")) {
		t.Error("a plain pool object is left")
	}
	if !f.Exists(f.L.KeyPrefix()+"n1/data/ks/t-1.enc/f1") || !f.Exists(f.L.KeyPrefix()+"n1/full0/data/ks/t-1.enc/g1") {
		t.Errorf("sealed keys missing:\n%s", strings.Join(f.Keys(), "\n"))
	}
	checkEncrypted(t, f, ring)

	// Again: nothing to do.
	sum, err = migrator(f, f.B, ring).Run(t.Context())
	if err != nil || !sum.AlreadyEncrypted {
		t.Errorf("second run: %+v, %v", sum, err)
	}
}

// TestEncryptBackupsCrash kills the migration before every possible write
// (each PUT, each deleted key). At every point each backup's manifest (and
// its index copy) names objects that exist and hold its content, every
// other command refuses the prefix once the marker says a migration runs,
// and a second run finishes with the bucket of an uninterrupted run.
func TestEncryptBackupsCrash(t *testing.T) {
	t.Parallel()
	ring := testRing(t)
	ref := fixture(t)
	want := contents(t, ref, ring, false)
	c := &crasher{Backend: ref.B, budget: -1}
	if _, err := migrator(ref, c, ring).Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	wantKeys := ref.Keys()
	total := c.writes
	if total < 30 {
		t.Fatalf("the clean run wrote only %d times", total)
	}
	for budget := 0; budget < total; budget++ {
		t.Run(fmt.Sprint("crash after ", budget), func(t *testing.T) {
			t.Parallel()
			f := fixture(t)
			if _, err := migrator(f, &crasher{Backend: f.B, budget: budget}, ring).Run(t.Context()); !errors.Is(err, errCrash) {
				t.Fatalf("interrupted run: %v", err)
			}
			sameContents(t, contents(t, f, ring, false), want)
			sameContents(t, contents(t, f, ring, true), want)
			if budget > 0 {
				err := crypt.CheckMode(t.Context(), f.B, f.L.KeyPrefix(), true)
				if err == nil || !strings.Contains(err.Error(), "encrypt-backups") {
					t.Errorf("a command with the key ring during the migration: %v", err)
				}
			}
			if _, err := migrator(f, f.B, ring).Run(t.Context()); err != nil {
				t.Fatalf("rerun: %v", err)
			}
			if got := f.Keys(); !slices.Equal(got, wantKeys) {
				t.Fatalf("after the rerun:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantKeys, "\n"))
			}
			sameContents(t, contents(t, f, ring, false), want)
			checkEncrypted(t, f, ring)
		})
	}
}

// TestEncryptBackupsRefusals: what cannot be kept is refused before
// anything is written.
func TestEncryptBackupsRefusals(t *testing.T) {
	t.Parallel()
	ring := testRing(t)
	cases := []struct {
		name  string
		setup func(f *testbed.Bucket)
		want  []string
	}{
		{"unfinished", func(f *testbed.Bucket) {
			f.Backup(testbed.NodeBackupSpec{FQDN: "n1", Name: "b5", Started: testbed.DaysAgo(1), Files: []string{"ks/t-1/f6"}})
		}, []string{"backup b5 of node n1 is unfinished", "delete-backup --backup-name b5 --fqdn n1"}},
		{"damaged", func(f *testbed.Bucket) {
			if err := f.B.Delete(t.Context(), f.Pool("n1", "ks/t-1/f3")); err != nil {
				t.Fatal(err)
			}
		}, []string{"backup b2 of node n1 is damaged", "ks/t-1/f3", "is missing"}},
		{"resized", func(f *testbed.Bucket) {
			f.Put(f.Pool("n1", "ks/t-1/f5"), []byte("other"), testbed.DaysAgo(2))
		}, []string{"backup b4 of node n1 is damaged", "is 5 bytes, its manifest says 27"}},
		{"commit logs", func(f *testbed.Bucket) {
			f.Put(f.L.KeyPrefix()+"n1/commitlogs/0000000000001-CommitLog-7-1.log", []byte("x"), testbed.DaysAgo(1))
		}, []string{"archived commit logs", "n1/commitlogs/"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := fixture(t)
			tc.setup(f)
			before := f.Keys()
			_, err := migrator(f, f.B, ring).Run(t.Context())
			if err == nil {
				t.Fatal("not refused")
			}
			for _, w := range append(tc.want, "nothing was encrypted") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if got := f.Keys(); !slices.Equal(got, before) {
				t.Errorf("the refused run changed the bucket:\n%s", strings.Join(got, "\n"))
			}
		})
	}
}

// TestEncryptBackupsUnfinishedDuringMigration: a backup that started
// before the marker was written shows as unfinished on the next run,
// which refuses to go on; once it is deleted (its pool file stays, named
// by no manifest), a run finishes and deletes that plain file too.
func TestEncryptBackupsUnfinishedDuringMigration(t *testing.T) {
	t.Parallel()
	ring := testRing(t)
	f := fixture(t)
	want := contents(t, f, ring, false)
	if _, err := migrator(f, &crasher{Backend: f.B, budget: 3}, ring).Run(t.Context()); !errors.Is(err, errCrash) {
		t.Fatalf("interrupted run: %v", err)
	}
	f.Backup(testbed.NodeBackupSpec{FQDN: "n1", Name: "b5", Started: testbed.DaysAgo(0), Files: []string{"ks/t-1/f6"}})
	_, err := migrator(f, f.B, ring).Run(t.Context())
	if err == nil || !strings.Contains(err.Error(), "backup b5 of node n1 is unfinished") || !strings.Contains(err.Error(), "Stop it if it runs") {
		t.Fatalf("run with an unfinished backup: %v", err)
	}
	var gone []string
	for _, k := range f.Keys() {
		if strings.Contains(k, "/b5/") {
			gone = append(gone, k)
		}
	}
	if err := f.B.DeleteMany(t.Context(), gone); err != nil {
		t.Fatal(err)
	}
	if _, err := migrator(f, f.B, ring).Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	if f.Exists(f.Pool("n1", "ks/t-1/f6")) {
		t.Error("the deleted backup's plain pool file is left")
	}
	sameContents(t, contents(t, f, ring, false), want)
	checkEncrypted(t, f, ring)
}
