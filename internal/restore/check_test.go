package restore

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
)

// partsETag computes a multipart ETag independently of the code under test.
func partsETag(data []byte, part int) string {
	var sums []byte
	n := 0
	for off := 0; off < len(data); off += part {
		s := md5.Sum(data[off:min(off+part, len(data))])
		sums = append(sums, s[:]...)
		n++
	}
	all := md5.Sum(sums)
	return fmt.Sprintf("%s-%d", hex.EncodeToString(all[:]), n)
}

func TestCheckOne(t *testing.T) {
	t.Parallel()
	const mib = 1 << 20
	data := make([]byte, 6*mib)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	sum := md5.Sum(data)
	hexMD5, b64MD5 := hex.EncodeToString(sum[:]), base64.StdEncoding.EncodeToString(sum[:])
	fiveMiB := partsETag(data, 5*mib)  // 2 parts: a usual part size
	threeMiB := partsETag(data, 3*mib) // 2 parts: an unusual one
	corrupt := partsETag(append(bytes.Clone(data[:6*mib-1]), 0), 5*mib)
	path := filepath.Join(t.TempDir(), "nb-1-big-Data.db")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, manifest, store string
		size                  int64
		hasher                func(storage.Source) string // the backend's ExpectedHash
		skip                  bool
		verified              bool
		err                   string
	}{
		{name: "hex MD5", manifest: hexMD5, store: hexMD5, verified: true},
		{name: "base64 MD5 (GCS, Azure)", manifest: b64MD5, store: b64MD5, verified: true},
		{name: "hex manifest, base64 store", manifest: hexMD5, store: b64MD5, verified: true},
		{name: "no hash recorded", manifest: "", verified: true},
		{name: "content differs", manifest: strings.Repeat("0", 32), err: "content MD5"},
		{name: "content differs, no content check (SSE)", manifest: strings.Repeat("0", 32), skip: true},
		{name: "store hash differs", manifest: hexMD5, store: strings.Repeat("a", 32), err: "replaced since the backup"},
		{name: "size differs", manifest: hexMD5, size: 5, err: "the manifest says 5"},
		{name: "multipart, backend settings", manifest: threeMiB, verified: true,
			hasher: func(src storage.Source) string { return threeMiB }},
		{name: "multipart, usual part size", manifest: fiveMiB, verified: true,
			hasher: func(storage.Source) string { return strings.Repeat("b", 32) + "-1" }},
		{name: "multipart, no capability", manifest: fiveMiB, verified: true},
		{name: "multipart, same layout, wrong content", manifest: corrupt, err: "does not match the manifest's multipart ETag",
			hasher: func(storage.Source) string { return fiveMiB }},
		{name: "multipart, unknown part size", manifest: strings.Repeat("c", 32) + "-2",
			hasher: func(storage.Source) string { return strings.Repeat("b", 32) + "-1" }},
		{name: "azure etag", manifest: "0x8DC1234567890AB", store: "0x8DC1234567890AB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			size := tc.size
			if size == 0 {
				size = int64(len(data))
			}
			var b storage.Backend = statHash{}
			if tc.hasher != nil {
				b = hasherBackend{Backend: b, hash: tc.hasher}
			}
			c := newChecker(&Deps{Storage: b}, tc.skip)
			md := tc.manifest
			f := fetched{Table: Table{Keyspace: "ks", Dir: "t-1"}, Path: path, Size: int64(len(data)), MD5: sum[:],
				StoreHash: tc.store, File: File{Rel: "nb-1-big-Data.db", Object: layout.Object{Size: size, MD5: &md}}}
			verified, err := c.checkOne(t.Context(), f)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || verified != tc.verified {
				t.Fatalf("verified %v, err %v; want %v, nil", verified, err, tc.verified)
			}
		})
	}
}

func TestHashesEqual(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"d41d8cd98f00b204e9800998ecf8427e", "1B2M2Y8AsgTpgAmY7PhCfg==", true},
		{`"d41d8cd98f00b204e9800998ecf8427e"`, "D41D8CD98F00B204E9800998ECF8427E", true},
		{"d41d8cd98f00b204e9800998ecf8427e-2", "D41D8CD98F00B204E9800998ECF8427E-2", true},
		{"d41d8cd98f00b204e9800998ecf8427e-2", "d41d8cd98f00b204e9800998ecf8427e-3", false},
		{"d41d8cd98f00b204e9800998ecf8427e", "00000000000000000000000000000000", false},
		{"0x8D1", "0x8D1", true},
	} {
		if got := hashesEqual(tc.a, tc.b); got != tc.want {
			t.Errorf("hashesEqual(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}
