package catalog_test

import (
	"bytes"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/storage/s3"
	"github.com/medusa-go/medusa/internal/testbed"
)

// TestVerifyStoredAgainS3 runs verify --enable-md5-checks against the real
// S3 server (versitygw) on a backup made with 5 MiB parts whose data file
// was then stored again: with the same bytes in 8 MiB parts it verifies
// (with a note); with other bytes of the same size, in either part size,
// it is "Blob different".
func TestVerifyStoredAgainS3(t *testing.T) {
	const mib = 1 << 20
	srv := testbed.S3T(t)
	keyFile := filepath.Join(t.TempDir(), "credentials")
	must(t, srv.WriteKeyFile(keyFile, srv.Restricted))
	open := func(chunk int64) *s3.Backend {
		b, err := s3.New(t.Context(), s3.Options{Provider: "s3_compatible", Bucket: srv.Bucket, Region: srv.Region,
			Host: srv.Host, Port: srv.Port, KeyFile: keyFile, MultipartThreshold: 5 * mib,
			MultipartChunkSize: chunk, MultipartConcurrency: 2})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = b.Close() })
		return b
	}
	data := make([]byte, 12*mib+99)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	other := bytes.Clone(data)
	other[11*mib] ^= 0x01
	for _, tc := range []struct {
		name   string
		backup string
		again  []byte
		chunk  int64
		ok     bool
	}{
		{"same bytes, 8 MiB parts", "b1", data, 8 * mib, true},
		{"other bytes, 8 MiB parts", "b2", other, 8 * mib, false},
		{"other bytes, 5 MiB parts", "b3", other, 5 * mib, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := oneFileBackup(t, open(5*mib), tc.backup, data, "")
			now := open(tc.chunk)
			put(t, now, key, tc.again)
			var out bytes.Buffer
			res, err := (&catalog.Catalog{Backend: now}).Verify(t.Context(), tc.backup, true)
			if err != nil {
				t.Fatal(err)
			}
			if err := res.WriteText(&out); err != nil {
				t.Fatal(err)
			}
			if res.OK() != tc.ok {
				t.Errorf("OK() = %v, want %v:\n%s", res.OK(), tc.ok, out.String())
			}
			if tc.ok && (len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "its content matches the manifest")) {
				t.Errorf("notes %q, want one saying the content matches", res.Notes)
			}
			if !tc.ok && !strings.Contains(out.String(), "  - ["+key+"] Blob different\n") {
				t.Errorf("output does not name %s:\n%s", key, out.String())
			}
		})
	}
}
