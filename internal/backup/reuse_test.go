package backup

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/checksum"
)

func TestStoredAfter(t *testing.T) {
	base := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name          string
		stored, mtime time.Time
		want          bool
	}{
		{"stored later", base.Add(time.Minute), base, true},
		{"stored earlier", base, base.Add(time.Minute), false},
		{"whole-second store, file written later in that second", base, base.Add(900 * time.Millisecond), true},
		{"precise store, file written after the upload", base.Add(100 * time.Millisecond),
			base.Add(900 * time.Millisecond), false},
		{"precise store, file written before the upload", base.Add(900 * time.Millisecond),
			base.Add(100 * time.Millisecond), true},
		{"store time unknown", time.Time{}, base, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := storedAfter(tc.stored, tc.mtime); got != tc.want {
				t.Errorf("storedAfter(%v, %v) = %v, want %v", tc.stored, tc.mtime, got, tc.want)
			}
		})
	}
}

func TestBaseKey(t *testing.T) {
	const p = "pre/node1/data/"
	tests := map[string]string{
		p + "ks/t-1a/nb-1-big-Data.db":              p + "ks/t-1a/nb-1-big-Data.db",
		p + "ks/t-1a.v17/nb-1-big-Data.db":          p + "ks/t-1a/nb-1-big-Data.db",
		p + "ks/t-1a.v17-2/.t_idx/nb-1-big-Data.db": p + "ks/t-1a/.t_idx/nb-1-big-Data.db",
		p + "ks/t-1a/.t_idx/nb-1-big-Data.db":       p + "ks/t-1a/.t_idx/nb-1-big-Data.db",
		"other/node1/data/ks/t-1a.v1/nb-1-Data.db":  "other/node1/data/ks/t-1a.v1/nb-1-Data.db",
		p + "too-short":                             p + "too-short",
	}
	for key, want := range tests {
		if got := baseKey(p, key); got != want {
			t.Errorf("baseKey(%s) = %s, want %s", key, got, want)
		}
	}
}

// ageObject sets the store's modification time of key to at.
func (e *env) ageObject(key string, at time.Time) {
	e.t.Helper()
	if err := os.Chtimes(filepath.Join(e.st.root, filepath.FromSlash(key)), at, at); err != nil {
		e.t.Fatal(err)
	}
}

// TestGenerationReuseNeverReusesStaleObjects is issue 13's scenario in
// miniature: after backup b1, the node rewrites a file under the same
// name and size (a generation number reused after a restore). The next
// backups must store the new content without touching what b1 names,
// and a later backup must reuse the new copy, not the old one.
func TestGenerationReuseNeverReusesStaleObjects(t *testing.T) {
	for _, tc := range []struct{ md5Checks, listHash bool }{{false, false}, {false, true}, {true, true}} {
		md5Checks := tc.md5Checks
		t.Run(fmt.Sprintf("md5=%v,hashes=%v", tc.md5Checks, tc.listHash), func(t *testing.T) {
			e := newEnv(t, "pre")
			e.st.listHash = tc.listHash
			withChecks := func(o *Options) { o.MD5Checks = md5Checks }
			e.mustRun("b1", Differential, withChecks)
			key := e.l.PoolPrefix(fqdn) + "ks2/logs-3333/nb-1-big-Data.db"
			e.ageObject(key, time.Now().Add(-time.Hour))
			e.cass.write("ks2", "logs-3333", "nb-1-big-Data.db", "LOGS DATA 2") // same size

			e.st.resetPuts()
			res := e.mustRun("b2", Differential, withChecks)
			variant := e.l.PoolPrefix(fqdn) + "ks2/logs-3333.v" + strconv.FormatInt(e.clock.Now().Unix(), 10) +
				"/nb-1-big-Data.db"
			if got := e.st.dataPuts(); !slices.Equal(got, []string{variant}) {
				t.Fatalf("b2 uploaded %v, want only %s", got, variant)
			}
			if res.FilesReuploaded != 1 || res.FilesKept != 3 {
				t.Errorf("b2: reuploaded %d kept %d, want 1 3", res.FilesReuploaded, res.FilesKept)
			}
			if got, _ := e.st.read(t, key); got != "logs data 1" {
				t.Errorf("b1's object holds %q after b2, want it untouched", got)
			}
			if got, _ := e.st.read(t, variant); got != "LOGS DATA 2" {
				t.Errorf("variant holds %q", got)
			}
			m1, _ := e.manifest("b1")
			m2, _ := e.manifest("b2")
			if m1[2].Objects[0].Path != key || m2[2].Objects[0].Path != variant {
				t.Errorf("manifests name %s and %s, want %s and %s", m1[2].Objects[0].Path,
					m2[2].Objects[0].Path, key, variant)
			}

			// Nothing changed since b2: everything is reused, the
			// logs file from the variant.
			e.st.resetPuts()
			res = e.mustRun("b3", Differential, withChecks)
			if got := e.st.dataPuts(); len(got) != 0 || res.FilesKept != 4 {
				t.Fatalf("b3 uploaded %v and kept %d, want nothing and 4", got, res.FilesKept)
			}
			if m3, _ := e.manifest("b3"); m3[2].Objects[0].Path != variant {
				t.Errorf("b3 names %s, want the variant %s", m3[2].Objects[0].Path, variant)
			}
		})
	}
}

// TestRestoredFileWithItsOwnContent: a file written after its object was
// stored (as a restore leaves it) is read and its hash decides, with or
// without MD5 checks; only a store that reports no hash makes it
// uploaded again, to a variant.
func TestRestoredFileWithItsOwnContent(t *testing.T) {
	tests := []struct {
		md5Checks, listHash, wantUpload bool
	}{
		{false, true, false},
		{true, true, false},
		{false, false, true},
		{true, false, true},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("md5=%v,hashes=%v", tc.md5Checks, tc.listHash), func(t *testing.T) {
			e := newEnv(t, "")
			e.st.listHash = tc.listHash
			e.mustRun("b1", Differential)
			key := e.l.PoolPrefix(fqdn) + "ks2/logs-3333/nb-1-big-Data.db"
			e.ageObject(key, time.Now().Add(-time.Hour))
			e.cass.write("ks2", "logs-3333", "nb-1-big-Data.db", "logs data 1") // same bytes, new mtime
			e.st.resetPuts()
			res := e.mustRun("b2", Differential, func(o *Options) { o.MD5Checks = tc.md5Checks })
			got := e.st.dataPuts()
			if tc.wantUpload != (len(got) == 1) || tc.wantUpload != (res.FilesReuploaded == 1) ||
				res.FilesKept+res.FilesReuploaded != 4 {
				t.Fatalf("uploads %v, reuploaded %d kept %d, want an upload: %v", got, res.FilesReuploaded,
					res.FilesKept, tc.wantUpload)
			}
			if c, _ := e.st.read(t, key); c != "logs data 1" {
				t.Errorf("stored object changed to %q", c)
			}
		})
	}
}

// TestIndexCandidatesOrder: candidates of a file are grouped across the
// variant directories, oldest first.
func TestIndexCandidatesOrder(t *testing.T) {
	const p = "n/data/"
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	objs := map[string]storage.ObjectInfo{
		p + "ks/t-1.v2/f": {Key: p + "ks/t-1.v2/f", ModTime: t0.Add(2 * time.Hour)},
		p + "ks/t-1/f":    {Key: p + "ks/t-1/f", ModTime: t0},
		p + "ks/t-1.v1/f": {Key: p + "ks/t-1.v1/f", ModTime: t0.Add(time.Hour)},
		p + "ks/t-2/f":    {Key: p + "ks/t-2/f", ModTime: t0},
	}
	idx := indexCandidates(p, objs)
	var keys []string
	for _, o := range idx[p+"ks/t-1/f"] {
		keys = append(keys, o.Key)
	}
	if want := []string{p + "ks/t-1/f", p + "ks/t-1.v1/f", p + "ks/t-1.v2/f"}; !slices.Equal(keys, want) {
		t.Errorf("candidates %v, want %v", keys, want)
	}
	if len(idx[p+"ks/t-2/f"]) != 1 {
		t.Errorf("t-2 candidates %v", idx[p+"ks/t-2/f"])
	}
}

// TestMatchedFilesAreNotReadAgain: a restored file matched by hash is
// remembered; the next backup reuses it without reading it, until the
// file changes.
func TestMatchedFilesAreNotReadAgain(t *testing.T) {
	e := newEnv(t, "")
	e.st.listHash = true
	e.mustRun("b1", Differential)
	key := e.l.PoolPrefix(fqdn) + "ks2/logs-3333/nb-1-big-Data.db"
	e.ageObject(key, time.Now().Add(-time.Hour))
	e.cass.write("ks2", "logs-3333", "nb-1-big-Data.db", "logs data 1") // restored: same bytes, new mtime
	var hashed []string
	var mu sync.Mutex
	run := func(name string) *Result {
		t.Helper()
		d := e.deps()
		d.ExpectedHash = func(ctx context.Context, src storage.Source) (string, error) {
			mu.Lock()
			hashed = append(hashed, name)
			mu.Unlock()
			return checksum.MD5Hex(ctx, src)
		}
		res, err := Run(t.Context(), d, e.opts(name, Differential))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	e.st.resetPuts()
	if res := run("b2"); res.FilesKept != 4 || len(hashed) != 1 {
		t.Fatalf("b2 kept %d, hashed %v: want 4 kept, the restored file hashed once", res.FilesKept, hashed)
	}
	if res := run("b3"); res.FilesKept != 4 || len(hashed) != 1 {
		t.Fatalf("b3 kept %d, hashed %v: want 4 kept without reading the file again", res.FilesKept, hashed)
	}
	if _, err := os.Stat(filepath.Join(e.lockDir, HashCacheName)); err != nil {
		t.Fatalf("no record of matched files: %v", err)
	}
	// The file changes (a generation reused once more): hashed, uploaded.
	e.cass.write("ks2", "logs-3333", "nb-1-big-Data.db", "LOGS DATA 3")
	if res := run("b4"); res.FilesReuploaded != 1 || len(hashed) != 2 {
		t.Fatalf("b4 reuploaded %d, hashed %v: want the changed file hashed and uploaded", res.FilesReuploaded, hashed)
	}
	if got := e.st.dataPuts(); len(got) != 1 || got[0] == key {
		t.Errorf("uploads %v: want one, to a variant", got)
	}
}

// sseStore is a store whose hashes are no MD5s of the content (SSE-KMS,
// SSE-C).
type sseStore struct{ storage.Backend }

func (sseStore) HashesAreContent() bool { return false }

// TestEncryptedBucketHashesNeverDecide: with MD5 checks on a bucket whose
// hashes are not content MD5s, nothing is read to compare hashes that can
// never match: unchanged files are reused by the time rule, and a file
// newer than its copy is uploaded again (to a variant), once.
func TestEncryptedBucketHashesNeverDecide(t *testing.T) {
	e := newEnv(t, "")
	run := func(name string) *Result {
		t.Helper()
		d := e.deps()
		d.Storage = sseStore{e.st}
		var hashed int
		d.ExpectedHash = func(ctx context.Context, src storage.Source) (string, error) {
			hashed++
			return checksum.MD5Hex(ctx, src)
		}
		o := e.opts(name, Differential)
		o.MD5Checks = true
		res, err := Run(t.Context(), d, o)
		if err != nil {
			t.Fatal(err)
		}
		if hashed != 0 {
			t.Errorf("backup %s hashed %d files against hashes that are no MD5s", name, hashed)
		}
		return res
	}
	run("b1")
	e.st.resetPuts()
	if res := run("b2"); res.FilesKept != 4 || len(e.st.dataPuts()) != 0 {
		t.Fatalf("unchanged files: kept %d, uploaded %v; want 4 kept, none uploaded", res.FilesKept, e.st.dataPuts())
	}
	key := e.l.PoolPrefix(fqdn) + "ks2/logs-3333/nb-1-big-Data.db"
	e.ageObject(key, time.Now().Add(-time.Hour))
	e.cass.write("ks2", "logs-3333", "nb-1-big-Data.db", "logs data 1") // newer than its copy
	e.st.resetPuts()
	if res := run("b3"); res.FilesReuploaded != 1 || len(e.st.dataPuts()) != 1 {
		t.Fatalf("a file newer than its copy: reuploaded %d, uploads %v; want 1", res.FilesReuploaded, e.st.dataPuts())
	}
}
