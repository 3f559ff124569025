package restore

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/storage/s3"
	"github.com/medusa-go/medusa/internal/testbed"
)

// TestStoredAgainS3 runs against the real S3 server (versitygw): a backup
// made with 5 MiB parts, then a later backup that stores one pool object
// again with the same bytes in 8 MiB parts (another ETag). restore-node
// and download accept the older backup and place the right bytes; an
// object of the same size with other bytes (in parts of either size) is
// refused at the check stage, naming its key, before the node is touched.
func TestStoredAgainS3(t *testing.T) {
	const mib = 1 << 20
	srv := testbed.S3T(t)
	keyFile := filepath.Join(t.TempDir(), "credentials")
	if err := srv.WriteKeyFile(keyFile, srv.Restricted); err != nil {
		t.Fatal(err)
	}
	open := func(bucket string, chunk int64) *s3.Backend {
		b, err := s3.New(t.Context(), s3.Options{Provider: "s3_compatible", Bucket: bucket, Region: srv.Region,
			Host: srv.Host, Port: srv.Port, KeyFile: keyFile, MultipartThreshold: 5 * mib,
			MultipartChunkSize: chunk, MultipartConcurrency: 2})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = b.Close() })
		return b
	}
	big := make([]byte, 12*mib+321) // 3 parts of 5 MiB, 2 of 8 MiB
	rng := rand.New(rand.NewPCG(17, 18))
	for i := range big {
		big[i] = byte(rng.Uint32())
	}
	other := bytes.Clone(big)
	other[7*mib] ^= 0x5a
	tbl := maps.Clone(backedUp)
	tbl["ks/users-1111"] = maps.Clone(backedUp["ks/users-1111"])
	tbl["ks/users-1111"]["nb-1-big-Data.db"] = string(big)

	for _, tc := range []struct {
		name   string
		bucket string
		again  []byte // the bytes stored again
		chunk  int64  // in parts of chunk bytes
		err    string
	}{
		{"same bytes, other part size", srv.Bucket, big, 8 * mib, ""},
		{"other bytes, same size, other part size", "stored-again-other", other, 8 * mib, "replaced since the backup"},
		{"other bytes, same size, same part size", "stored-again-same-parts", other, 5 * mib,
			"does not match the manifest's"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.bucket != srv.Bucket {
				if err := srv.NewBucket(t.Context(), tc.bucket); err != nil {
					t.Fatal(err)
				}
			}
			f := newFixture(t)
			backupTo(f, open(tc.bucket, 5*mib), tbl)
			f.nodeTables(nowOnNode)
			key := f.l.TablePrefix(fxFQDN, fxBackup, "ks", "users-1111") + "nb-1-big-Data.db"
			now := open(tc.bucket, tc.chunk) // the settings of the later backup, and of the restore
			info, err := now.Put(t.Context(), key, bytes.NewReader(tc.again))
			if err != nil {
				t.Fatal(err)
			}
			if parts := fmt.Sprintf("-%d", (len(big)+int(tc.chunk)-1)/int(tc.chunk)); !strings.HasSuffix(info.Hash, parts) {
				t.Fatalf("stored again with ETag %q, want %s", info.Hash, parts)
			}
			d := f.deps()
			d.Storage = now
			before := f.nodeTree()
			// medusa download
			dest := t.TempDir()
			_, derr := Download(t.Context(), d, DownloadOptions{Backup: fxBackup, FQDN: fxFQDN, Destination: dest, Concurrency: 2})
			// restore-node
			_, rerr := Run(t.Context(), d, f.options())
			if tc.err == "" {
				if derr != nil || rerr != nil {
					t.Fatalf("download: %v; restore: %v", derr, rerr)
				}
				got, err := os.ReadFile(filepath.Join(dest, "ks", "users-1111", "nb-1-big-Data.db"))
				if err != nil || !bytes.Equal(got, big) {
					t.Errorf("downloaded file: %d bytes, %v; want the backup's %d bytes", len(got), err, len(big))
				}
				if got := f.table("ks/users-1111")["nb-1-big-Data.db"]; got != string(big) {
					t.Errorf("restored file: %d bytes, not the backup's", len(got))
				}
				return
			}
			for what, err := range map[string]error{"download": derr, "restore": rerr} {
				t.Logf("%s refused: %v", what, err)
				var se *StageError
				if !errors.As(err, &se) || se.Stage != StageCheck || !strings.Contains(err.Error(), tc.err) ||
					!strings.Contains(err.Error(), key) {
					t.Errorf("%s: err = %v, want a refusal at the check stage naming %s", what, err, key)
				}
			}
			if calls := f.node.Calls(); len(calls) != 0 {
				t.Errorf("node was touched: %v", calls)
			}
			if diff := diffTrees(before, f.nodeTree()); len(diff) > 0 {
				t.Errorf("node files changed: %v", diff)
			}
		})
	}
}
