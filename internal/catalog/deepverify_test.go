package catalog_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"io"
	"iter"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/progress"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/limit"
	"github.com/medusa-go/medusa/internal/storage/storagetest"
)

// partSized is relisted with the part size an S3 backend would use today.
type partSized struct {
	relisted
	part int64
}

func (p partSized) PartSize(int64) int64 { return p.part }

// TestVerifyDeepFindsChangedBytes: an object whose bytes changed while the
// store still reports the manifest's size and hash passes Verify, with MD5
// checks too, and fails VerifyDeep naming the object, whatever form the
// manifest's hash has. Intact objects pass both.
func TestVerifyDeepFindsChangedBytes(t *testing.T) {
	t.Parallel()
	const mib = 1 << 20
	data := storagetest.Pattern{N: 12*mib + 5, Seed: 3}.Bytes()
	other := bytes.Clone(data)
	other[7*mib] ^= 0x01
	b64 := func(b []byte) string { s := md5.Sum(b); return base64.StdEncoding.EncodeToString(s[:]) }
	for _, tc := range []struct {
		name      string
		manifest  string // the hash recorded (and still listed)
		part      int64  // the backend's part size today (0: none)
		stored    []byte
		ok        bool
		unchecked int
	}{
		{"hex MD5, intact", storagetest.ReferenceETag(data, 0), 0, data, true, 0},
		{"hex MD5, changed", storagetest.ReferenceETag(data, 0), 0, other, false, 0},
		{"base64 MD5 (GCS, Azure), intact", b64(data), 0, data, true, 0},
		{"base64 MD5 (GCS, Azure), changed", b64(data), 0, other, false, 0},
		{"multipart 5 MiB, intact", storagetest.ReferenceETag(data, 5*mib), 0, data, true, 0},
		{"multipart 5 MiB, changed, backend uses 5 MiB", storagetest.ReferenceETag(data, 5*mib), 5 * mib, other, false, 0},
		// Without the backend's own layout, content that reproduces the
		// ETag with no part size tried may come from an unusual part size:
		// a warning, as in restore, while the store reports the ETag.
		{"multipart 5 MiB, changed, backend uses 8 MiB", storagetest.ReferenceETag(data, 5*mib), 8 * mib, other, true, 1},
		{"multipart 8 MiB, changed, backend says nothing", storagetest.ReferenceETag(data, 8*mib), 0, other, true, 1},
		{"multipart of an unusual part size, intact", storagetest.ReferenceETag(data, 7*mib), 0, data, true, 1},
		{"no hash recorded", "", 0, other, true, 1},
		{"Azure ETag", "0x8DC1234567890AB", 0, other, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mem := storagetest.NewMemory()
			key := oneFileBackup(t, mem, "b1", tc.stored, tc.manifest)
			if tc.manifest == "" {
				setManifestHash(t, mem, "b1", nil)
			}
			c := &catalog.Catalog{Backend: partSized{relisted{mem, map[string]string{key: tc.manifest}, true}, tc.part}}
			plain, err := c.Verify(t.Context(), "b1", true)
			if err != nil || !plain.OK() {
				t.Fatalf("plain verify with MD5 checks: OK() %v, %+v, %v; the store reports the manifest's hash", plain.OK(), plain, err)
			}
			res, err := c.VerifyDeep(t.Context(), "b1", true, catalog.DeepOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			must(t, res.WriteText(&out))
			if res.OK() != tc.ok || res.Deep.Unchecked != tc.unchecked || res.Deep.Read != 1 || res.Deep.Bytes != int64(len(data)) {
				t.Errorf("OK() %v, unchecked %d, read %d (%d bytes); want %v, %d unchecked, 1 read\n%s",
					res.OK(), res.Deep.Unchecked, res.Deep.Read, res.Deep.Bytes, tc.ok, tc.unchecked, out.String())
			}
			line := "  - [" + key + "] Content differs from the manifest"
			if got := strings.Contains(out.String(), line); got == tc.ok {
				t.Errorf("output names the object: %v, want %v:\n%s", got, !tc.ok, out.String())
			}
			if tc.ok && !strings.Contains(out.String(), "- Content validated: OK!!\n") ||
				!tc.ok && !strings.Contains(out.String(), "- Content validation: Failed!\n"+line) {
				t.Errorf("output:\n%s", out.String())
			}
		})
	}
}

// setManifestHash sets the hash of every object of n1's manifest of backup.
func setManifestHash(t *testing.T, b storage.Backend, backup string, h *string) {
	t.Helper()
	c := &catalog.Catalog{Backend: b}
	m, err := c.Manifest(t.Context(), backup, "n1")
	must(t, err)
	for i := range m {
		for j := range m[i].Objects {
			m[i].Objects[j].MD5 = h
		}
	}
	put(t, b, layout.New("").ManifestKey("n1", backup), layout.MarshalManifest(m))
}

// reads records the data keys read and can make some of them vanish.
type reads struct {
	storage.Backend
	mu   sync.Mutex
	keys []string
	gone map[string]bool
}

func (r *reads) Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, storage.ObjectInfo, error) {
	r.mu.Lock()
	r.keys = append(r.keys, key)
	r.mu.Unlock()
	if r.gone[key] {
		return nil, storage.ObjectInfo{}, fmt.Errorf("get %s: %w", key, storage.ErrNotExist)
	}
	return r.Backend.Get(ctx, key, off, n)
}

func (r *reads) read() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, k := range r.keys {
		if strings.Contains(k, "/data/") {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// manyFileBackup writes backup b1 of node n1 with n small data files and
// returns their keys.
func manyFileBackup(t *testing.T, b storage.Backend, n int) []string {
	t.Helper()
	l := layout.New("")
	sec := layout.Section{Keyspace: "ks", ColumnFamily: "t-0123456789abcdef0123456789abcdef"}
	var keys []string
	for i := range n {
		key := l.DataPrefix("n1", "b1") + table + fmt.Sprintf("nb-%d-big-Data.db", i+1)
		info := put(t, b, key, storagetest.Pattern{N: int64(100 + i), Seed: uint64(i)}.Bytes())
		sec.Objects = append(sec.Objects, layout.Object{Path: key, MD5: &info.Hash, Size: info.Size})
		keys = append(keys, key)
	}
	m := layout.MarshalManifest(layout.Manifest{sec})
	put(t, b, l.SchemaKey("n1", "b1"), []byte("CQL"))
	put(t, b, l.ManifestKey("n1", "b1"), m)
	must(t, catalog.WriteStarted(t.Context(), b, "", "b1", "n1", tokenmapOf(t, "n1"), []byte("CQL"), false, t0))
	must(t, catalog.WriteFinished(t.Context(), b, "", "b1", "n1", m, t0+1))
	return keys
}

// TestVerifyDeepSample: a sample reads ceil(pct% of the objects), the
// same ones for the same seed (whatever the concurrency), others for
// another seed; the report says the seed.
func TestVerifyDeepSample(t *testing.T) {
	t.Parallel()
	mem := storagetest.NewMemory()
	keys := manyFileBackup(t, mem, 40)
	run := func(pct float64, seed int64, conc int) ([]string, catalog.VerifyResult) {
		r := &reads{Backend: mem}
		c := &catalog.Catalog{Backend: r}
		res, err := c.VerifyDeep(t.Context(), "b1", false, catalog.DeepOptions{Percent: pct, Seed: seed, Concurrency: conc})
		if err != nil || !res.OK() {
			t.Fatalf("%v%% seed %d: OK() %v, %v", pct, seed, res.OK(), err)
		}
		return r.read(), res
	}
	a, res := run(25, 42, 1)
	b, _ := run(25, 42, 4)
	other, _ := run(25, 43, 2)
	if len(a) != 10 || !slices.Equal(a, b) || slices.Equal(a, other) {
		t.Errorf("seed 42 read %d objects, then %q; seed 43 %q", len(a), b, other)
	}
	var out bytes.Buffer
	must(t, res.WriteText(&out))
	if want := "- Content read: 10 of 40 objects (25% sample, seed 42), "; !strings.Contains(out.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, out.String())
	}
	if all, _ := run(100, 1, 3); !slices.Equal(all, slices.Sorted(slices.Values(keys))) {
		t.Errorf("100%% read %d of %d objects", len(all), len(keys))
	}
	if tiny, _ := run(0.1, 9, 1); len(tiny) != 1 {
		t.Errorf("0.1%% of 40 objects read %d, want 1", len(tiny))
	}
	c := &catalog.Catalog{Backend: mem}
	if _, err := c.VerifyDeep(t.Context(), "b1", false, catalog.DeepOptions{Percent: 101}); err == nil {
		t.Error("101% accepted")
	}
}

// TestVerifyDeepReportsEveryProblem: every changed object, every object
// gone since the listing, and the missing objects of the plain check are
// reported by key; the others are read and pass; progress counts every
// object and byte read.
func TestVerifyDeepReportsEveryProblem(t *testing.T) {
	t.Parallel()
	mem := storagetest.NewMemory()
	keys := manyFileBackup(t, mem, 12)
	corrupt := func(key string) {
		r, _, err := mem.Get(t.Context(), key, 0, -1)
		must(t, err)
		data, err := io.ReadAll(r)
		must(t, err)
		r.Close()
		data[len(data)/2]++
		put(t, mem, key, data)
	}
	corrupt(keys[2])
	corrupt(keys[9])
	must(t, mem.Delete(t.Context(), keys[5]))
	r := &reads{Backend: mem, gone: map[string]bool{keys[7]: true}}
	rec := &events{}
	c := &catalog.Catalog{Backend: r}
	res, err := c.VerifyDeep(t.Context(), "b1", false, catalog.DeepOptions{Concurrency: 3, Reporter: rec})
	must(t, err)
	var out bytes.Buffer
	must(t, res.WriteText(&out))
	want := "- Manifest validation: Failed!\n  - [" + keys[5] + "] Doesn't exists\n" +
		"- Content read: 11 of 11 objects, "
	wantErrs := []string{
		"  - [" + keys[2] + "] Content differs from the manifest",
		"  - [" + keys[7] + "] Doesn't exists",
		"  - [" + keys[9] + "] Content differs from the manifest",
	}
	slices.Sort(wantErrs) // the lines come sorted by key
	if res.OK() || !strings.Contains(out.String(), want) || len(res.Deep.Errors) != len(wantErrs) {
		t.Fatalf("OK() %v, output:\n%s", res.OK(), out.String())
	}
	for i, w := range wantErrs {
		if !strings.HasPrefix(res.Deep.Errors[i], w) {
			t.Errorf("error %d: %q, want %q...", i, res.Deep.Errors[i], w)
		}
	}
	last := rec.last()
	if last.Kind != progress.StageFinished || last.FilesDone != 11 || last.FilesTotal != 11 ||
		last.BytesDone != last.BytesTotal-int64(100+7) {
		t.Errorf("last progress event %+v: want 11 files done, every byte but the vanished object's", last)
	}
}

type events struct {
	mu sync.Mutex
	e  []progress.Event
}

func (e *events) Report(ev progress.Event) { e.mu.Lock(); e.e = append(e.e, ev); e.mu.Unlock() }
func (e *events) last() progress.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.e[len(e.e)-1]
}

// generated serves one object of n pattern bytes without storing it.
type generated struct {
	storage.Backend
	key string
	n   int64
}

func (g generated) Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, storage.ObjectInfo, error) {
	if key != g.key {
		return g.Backend.Get(ctx, key, off, n)
	}
	p := storagetest.Pattern{N: g.n, Seed: 11}
	return io.NopCloser(io.NewSectionReader(p, 0, g.n)), storage.ObjectInfo{Key: key, Size: g.n}, nil
}

func (g generated) List(ctx context.Context, prefix string) iter.Seq2[storage.ObjectInfo, error] {
	return func(yield func(storage.ObjectInfo, error) bool) {
		for o, err := range g.Backend.List(ctx, prefix) {
			if o.Key == g.key {
				o.Size = g.n
			}
			if !yield(o, err) {
				return
			}
		}
	}
}

// TestVerifyDeepMemoryIsBounded: reading a 256 MiB object (64 MiB with
// -short) allocates a small fraction of it: the content is streamed into
// the hash, never held. (bench/ measures the process's peak RSS on the
// bench backup's large files.)
func TestVerifyDeepMemoryIsBounded(t *testing.T) {
	size := int64(256 << 20)
	if testing.Short() {
		size = 64 << 20
	}
	mem := storagetest.NewMemory()
	key := oneFileBackup(t, mem, "b1", []byte("x"), "")
	h := md5.New()
	_, err := io.Copy(h, io.NewSectionReader(storagetest.Pattern{N: size, Seed: 11}, 0, size))
	must(t, err)
	sum := fmt.Sprintf("%x", h.Sum(nil))
	c := &catalog.Catalog{Backend: mem}
	m, err := c.Manifest(t.Context(), "b1", "n1")
	must(t, err)
	m[0].Objects[0].MD5, m[0].Objects[0].Size = &sum, size
	put(t, mem, layout.New("").ManifestKey("n1", "b1"), layout.MarshalManifest(m))
	c.Backend = generated{Backend: mem, key: key, n: size}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, err := c.VerifyDeep(t.Context(), "b1", true, catalog.DeepOptions{Concurrency: 4})
	runtime.ReadMemStats(&after)
	must(t, err)
	if !res.OK() || res.Deep.Bytes != size {
		t.Fatalf("OK() %v, %d bytes read, want %d: %+v", res.OK(), res.Deep.Bytes, size, res)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("deep verify of a %d MiB object allocated %.1f MiB in all", size>>20, float64(alloc)/(1<<20))
	if alloc > 8<<20 {
		t.Errorf("deep verify of a %d MiB object allocated %d bytes; the content must be streamed", size>>20, alloc)
	}
}

// tally is a limit.Limiter that lets everything through and counts it.
type tally struct {
	mu sync.Mutex
	n  int64
}

func (l *tally) WaitN(_ context.Context, n int) error {
	l.mu.Lock()
	l.n += int64(n)
	l.mu.Unlock()
	return nil
}
func (l *tally) Burst() int { return 1 << 20 }
func (l *tally) take() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.n
	l.n = 0
	return n
}

// TestVerifyDeepPaysBandwidth: the content pass reads through the storage
// stack, so every byte it reads is charged to the process-wide bandwidth
// limiter (transfer_max_bandwidth), like a restore's.
func TestVerifyDeepPaysBandwidth(t *testing.T) {
	t.Parallel()
	mem := storagetest.NewMemory()
	manyFileBackup(t, mem, 8)
	l := &tally{}
	c := &catalog.Catalog{Backend: limit.Bandwidth(mem, l)}
	_, err := c.Verify(t.Context(), "b1", true)
	must(t, err)
	meta := l.take() // the index and manifest reads
	res, err := c.VerifyDeep(t.Context(), "b1", true, catalog.DeepOptions{Concurrency: 2})
	must(t, err)
	if got := l.take() - meta; !res.OK() || res.Deep.Bytes == 0 || got != res.Deep.Bytes {
		t.Errorf("OK() %v: %d bytes read, %d charged to the limiter", res.OK(), res.Deep.Bytes, got)
	}
}
