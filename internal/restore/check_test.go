package restore

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/checksum"
	"github.com/medusa-go/medusa/internal/storage/storagetest"
)

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
	fiveMiB := storagetest.ReferenceETag(data, 5*mib)   // 2 parts: a usual part size
	oddMiB := storagetest.ReferenceETag(data, 11*mib/2) // 2 parts: an unusual size
	corrupt := storagetest.ReferenceETag(append(bytes.Clone(data[:6*mib-1]), 0), 5*mib)
	path := filepath.Join(t.TempDir(), "nb-1-big-Data.db")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	eightMiB := storagetest.ReferenceETag(data, 8*mib) // 1 part
	const key = "p/n1/data/ks/t-1/nb-1-big-Data.db"
	for _, tc := range []struct {
		name, manifest, store string
		size                  int64
		part                  int64 // the backend's part size
		skip                  bool
		verified              bool
		err                   string
	}{
		{name: "hex MD5", manifest: hexMD5, store: hexMD5, verified: true},
		{name: "base64 MD5 (GCS, Azure)", manifest: b64MD5, store: b64MD5, verified: true},
		{name: "hex manifest, base64 store", manifest: hexMD5, store: b64MD5, verified: true},
		{name: "upper-case quoted manifest", manifest: `"` + strings.ToUpper(hexMD5) + `"`, store: hexMD5, verified: true},
		{name: "no hash recorded", manifest: "", verified: true},
		{name: "content differs", manifest: strings.Repeat("0", 32), err: "corrupted at rest or in transfer"},
		{name: "content differs, no content check (SSE)", manifest: strings.Repeat("0", 32), skip: true},
		{name: "store hash differs, content matches (stored again)", manifest: hexMD5, store: strings.Repeat("a", 32), verified: true},
		{name: "store hash and content differ", manifest: strings.Repeat("0", 32), store: strings.Repeat("a", 32),
			err: key + " (" + hexMD5 + ") does not match the manifest's " + strings.Repeat("0", 32) + " (the object was replaced since the backup"},
		{name: "store hash differs, SSE", manifest: strings.Repeat("0", 32), store: strings.Repeat("a", 32), skip: true},
		{name: "size differs", manifest: hexMD5, size: 5, err: "the manifest says 5"},
		{name: "multipart, backend settings", manifest: oddMiB, verified: true, part: 11 * mib / 2},
		{name: "multipart, usual part size", manifest: fiveMiB, store: fiveMiB, verified: true, part: 8 * mib},
		{name: "multipart, no capability", manifest: fiveMiB, verified: true},
		{name: "multipart, stored again in 8 MiB parts", manifest: fiveMiB, store: eightMiB, verified: true, part: 8 * mib},
		{name: "multipart, stored again as one part", manifest: fiveMiB, store: hexMD5, verified: true},
		{name: "one part, stored again in parts", manifest: hexMD5, store: fiveMiB, verified: true},
		{name: "multipart, same layout, wrong content", manifest: corrupt, err: "does not match the manifest's " + corrupt,
			part: 5 * mib},
		{name: "multipart, unknown part size", manifest: strings.Repeat("c", 32) + "-2", part: 8 * mib},
		{name: "multipart, unknown part size, no backend part size", manifest: oddMiB},
		{name: "multipart, unknown part size, stored again", manifest: strings.Repeat("c", 32) + "-2", store: fiveMiB,
			err: "does not reproduce the manifest's hash with any part size tried"},
		{name: "multipart, unknown part size, stored again, SSE", manifest: strings.Repeat("c", 32) + "-2", store: fiveMiB,
			skip: true},
		{name: "multipart, SSE, stored again", manifest: fiveMiB, store: strings.Repeat("d", 32), skip: true, verified: true},
		{name: "azure etag", manifest: "0x8DC1234567890AB", store: "0x8DC1234567890AB"},
		{name: "azure etag changed", manifest: "0x8DC1234567890AB", store: "0x8DC1234567890AC"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			size := tc.size
			if size == 0 {
				size = int64(len(data))
			}
			var b storage.Backend = statHash{}
			if tc.part > 0 {
				b = partSizer{Backend: b, part: tc.part}
			}
			var log bytes.Buffer
			c := newChecker(&Deps{Storage: b, Logger: slog.New(slog.NewTextHandler(&log, nil))}, tc.skip)
			md := tc.manifest
			h := checksum.HasherFor(md, size, tc.part) // what the download computes
			h.Write(data)
			f := fetched{Table: Table{Keyspace: "ks", Dir: "t-1"}, Path: path, Size: int64(len(data)), Content: h.Sum(),
				StoreHash: tc.store, File: File{Rel: "nb-1-big-Data.db", Object: layout.Object{Path: key, Size: size, MD5: &md}}}
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
			if changed := tc.store != "" && !checksum.Equal(tc.store, tc.manifest); changed != strings.Contains(log.String(), key) {
				t.Errorf("store hash changed: %v, but the log says:\n%s", changed, log.String())
			}
		})
	}
}
