package catalog_test

import (
	"bytes"
	"context"
	"iter"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/storagetest"
)

// relisted reports the listed hash of key as hashes[key] (a store that
// was given the object again, e.g. in parts of another size), and says
// whether its hashes are content hashes (false: SSE-KMS, SSE-C).
type relisted struct {
	*storagetest.Memory
	hashes  map[string]string
	content bool
}

func (r relisted) List(ctx context.Context, prefix string) iter.Seq2[storage.ObjectInfo, error] {
	return func(yield func(storage.ObjectInfo, error) bool) {
		for o, err := range r.Memory.List(ctx, prefix) {
			if h, ok := r.hashes[o.Key]; ok {
				o.Hash = h
			}
			if !yield(o, err) {
				return
			}
		}
	}
}

func (r relisted) HashesAreContent() bool { return r.content }

// TestVerifyReuploaded: with MD5 checks, a listed hash other than the
// manifest's is not a verdict; the content decides.
func TestVerifyReuploaded(t *testing.T) {
	const mib = 1 << 20
	data := make([]byte, 12*mib+5)
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	other := bytes.Clone(data)
	other[mib] ^= 0xff
	for _, tc := range []struct {
		name            string
		manifest, store string // hashes
		stored          []byte // the bytes in storage now
		notSSE          bool
		ok              bool
		notes, warnings int
	}{
		{"same hash", storagetest.ReferenceETag(data, 5*mib), storagetest.ReferenceETag(data, 5*mib), data, true, true, 0, 0},
		{"re-uploaded in 8 MiB parts, was 5 MiB", storagetest.ReferenceETag(data, 5*mib), storagetest.ReferenceETag(data, 8*mib), data, true, true, 1, 0},
		{"re-uploaded in one part, was multipart", storagetest.ReferenceETag(data, 5*mib), storagetest.ReferenceETag(data, 0), data, true, true, 1, 0},
		{"re-uploaded in parts, was one part", storagetest.ReferenceETag(data, 0), storagetest.ReferenceETag(data, 8*mib), data, true, true, 1, 0},
		{"other bytes, same size", storagetest.ReferenceETag(data, 0), storagetest.ReferenceETag(other, 0), other, true, false, 0, 0},
		{"other bytes, multipart", storagetest.ReferenceETag(data, 5*mib), storagetest.ReferenceETag(other, 8*mib), other, true, false, 0, 0},
		{"unusual part size, stored again", storagetest.ReferenceETag(data, 7*mib), storagetest.ReferenceETag(data, 8*mib), data, true, false, 0, 0},
		{"Azure ETags", "0x8DC1234567890AB", "0x8DC1234567890AC", data, true, true, 0, 1},
		{"SSE-KMS ETags", strings.Repeat("ab", 16), strings.Repeat("cd", 16), data, false, true, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := storagetest.NewMemory()
			ctx := t.Context()
			key := oneFileBackup(t, mem, "b1", tc.stored, tc.manifest)
			c := &catalog.Catalog{Backend: relisted{mem, map[string]string{key: tc.store}, tc.notSSE}}
			var out bytes.Buffer
			res, err := c.Verify(ctx, "b1", true)
			if err != nil {
				t.Fatal(err)
			}
			if err := res.WriteText(&out); err != nil {
				t.Fatal(err)
			}
			if res.OK() != tc.ok || len(res.Notes) != tc.notes || len(res.Warnings) != tc.warnings {
				t.Errorf("OK() %v, notes %q, warnings %q; want %v, %d notes, %d warnings\n%s",
					res.OK(), res.Notes, res.Warnings, tc.ok, tc.notes, tc.warnings, out.String())
			}
			if !tc.ok && !strings.Contains(out.String(), "["+key+"] Blob different") {
				t.Errorf("output does not name the object:\n%s", out.String())
			}
		})
	}
}

// oneFileBackup writes a finished full backup of node n1 holding one data
// file with content data, stored through b; the manifest records hash, or
// the hash b reports when hash is "". It returns the data file's key.
func oneFileBackup(t *testing.T, b storage.Backend, backup string, data []byte, hash string) string {
	t.Helper()
	ctx := t.Context()
	l := layout.New("")
	key := l.DataPrefix("n1", backup) + table + "nb-1-big-Data.db"
	info := put(t, b, key, data)
	if hash == "" {
		hash = info.Hash
	}
	m := layout.Manifest{{Keyspace: "ks", ColumnFamily: "t-0123456789abcdef0123456789abcdef",
		Objects: []layout.Object{{Path: key, MD5: &hash, Size: int64(len(data))}}}}
	put(t, b, l.SchemaKey("n1", backup), []byte("CQL"))
	put(t, b, l.ManifestKey("n1", backup), layout.MarshalManifest(m))
	must(t, catalog.WriteStarted(ctx, b, "", backup, "n1", tokenmapOf(t, "n1"), []byte("CQL"), false, t0))
	must(t, catalog.WriteFinished(ctx, b, "", backup, "n1", layout.MarshalManifest(m), t0+1))
	return key
}
