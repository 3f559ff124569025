package s3

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/checksum"
	"github.com/medusa-go/medusa/internal/storage/retry"
	"github.com/medusa-go/medusa/internal/storage/storagetest"
	"github.com/medusa-go/medusa/internal/testbed"
)

// partSize is the smallest part S3 accepts, so that the suite's 2.5-part
// and 64 MiB objects make real multipart uploads cheaply.
const partSize = 5 * mib

// serverOptions are the options of a backend on srv's bucket for user,
// through a key_file (as medusa.ini's key_file would give).
func serverOptions(t *testing.T, srv *testbed.S3Server, user testbed.Credentials) Options {
	t.Helper()
	keyFile := filepath.Join(t.TempDir(), "medusa-s3-credentials")
	if err := srv.WriteKeyFile(keyFile, user); err != nil {
		t.Fatal(err)
	}
	return Options{Provider: "s3_compatible", Bucket: srv.Bucket, Region: srv.Region, Host: srv.Host, Port: srv.Port,
		KeyFile: keyFile, MultipartThreshold: partSize, MultipartChunkSize: partSize, MultipartConcurrency: 4}
}

func mustNew(t *testing.T, o Options) *Backend {
	t.Helper()
	b, err := New(t.Context(), o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return b
}

// TestConformance runs the storage conformance suite against the real S3
// server, once as its admin and once as the user restricted to Medusa's
// MedusaStorageStrategy policy.
func TestConformance(t *testing.T) {
	srv := testbed.S3T(t)
	for _, user := range []struct {
		name  string
		creds testbed.Credentials
	}{{"s3-admin", srv.Admin}, {"s3-restricted", srv.Restricted}} {
		t.Run(user.name, func(t *testing.T) {
			o := serverOptions(t, srv, user.creds)
			mk := func(change func(*Options)) func(t *testing.T) storage.Backend {
				return func(t *testing.T) storage.Backend {
					o := o
					if change != nil {
						change(&o)
					}
					return mustNew(t, o)
				}
			}
			pending := mustNew(t, o)
			t.Cleanup(func() { _ = pending.Close() })
			storagetest.Run(t, mk(nil), storagetest.Capabilities{
				ExpectedHash: func(src storage.Source) string {
					h, err := checksum.ExpectedETag(t.Context(), src, partSize, partSize)
					if err != nil {
						t.Errorf("ExpectedETag: %v", err)
					}
					return h
				},
				PartSize: partSize,
				GetHash:  true,
				Resume: func(b storage.Backend) storage.Backend {
					return retry.New(b, retry.Policy{BaseDelay: time.Millisecond})
				},
				PendingUploads: func(ctx context.Context) (int, error) { return pending.PendingUploads(ctx, "") },
				// versitygw accepts SSE-C headers but does not enforce them
				// (scripts/testbed/servers/README.md), so a keyless read is only logged.
				SSEC: &storagetest.SSEC{
					WithKey:    mk(func(o *Options) { o.SSECKey = testSSECKey }),
					WithoutKey: mk(nil),
				},
				MissingBucket: mk(func(o *Options) { o.Bucket = "medusa-no-such-bucket" }),
			})
		})
	}
}

// TestRestrictedUserDenied: outside its policy (a bucket it was not
// granted), the restricted user gets ErrAccessDenied in one sentence that
// names the bucket, the action and the key_file; a wrong secret too.
func TestRestrictedUserDenied(t *testing.T) {
	srv := testbed.S3T(t)
	const other = "medusa-not-granted"
	if _, err := srv.Client(srv.Admin).CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(other)}); err != nil {
		t.Fatalf("create bucket %s as admin: %v", other, err)
	}
	o := serverOptions(t, srv, srv.Restricted)
	o.Bucket = other
	b := mustNew(t, o)
	defer b.Close()
	_, err := b.Put(t.Context(), "index/backup_index/x", strings.NewReader("x"))
	if !errors.Is(err, storage.ErrAccessDenied) || storage.IsTransient(err) {
		t.Fatalf("Put into a bucket outside the policy: %v, want a permanent ErrAccessDenied", err)
	}
	msg := err.Error()
	for _, want := range []string{`bucket "` + other + `"`, "s3:PutObject", "key_file " + o.KeyFile} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, srv.Restricted.Secret) {
		t.Errorf("message leaks the secret: %q", msg)
	}
	t.Logf("denied: %v", err)

	wrong := serverOptions(t, srv, testbed.Credentials{AccessKey: srv.Restricted.AccessKey, Secret: "wrong-secret"})
	wb := mustNew(t, wrong)
	defer wb.Close()
	err = wb.Check(t.Context())
	if !errors.Is(err, storage.ErrAccessDenied) || !strings.Contains(err.Error(), "s3:ListBucket") {
		t.Errorf("Check with a wrong secret: %v, want ErrAccessDenied naming s3:ListBucket", err)
	}
	t.Logf("wrong secret: %v", err)
}

// TestMissingBucketSentence checks the one-sentence error of a missing bucket.
func TestMissingBucketSentence(t *testing.T) {
	srv := testbed.S3T(t)
	o := serverOptions(t, srv, srv.Admin)
	o.Bucket = "medusa-typo"
	b := mustNew(t, o)
	defer b.Close()
	err := b.Check(t.Context())
	if !errors.Is(err, storage.ErrBucketNotExist) || storage.IsTransient(err) {
		t.Fatalf("Check on a missing bucket: %v, want a permanent ErrBucketNotExist", err)
	}
	if msg := err.Error(); !strings.Contains(msg, `no bucket "medusa-typo"`) || !strings.Contains(msg, srv.Endpoint) ||
		!strings.Contains(msg, "bucket_name") || strings.Count(msg, ". ") > 0 {
		t.Errorf("message %q: want one sentence naming the bucket, the endpoint and bucket_name", msg)
	}
	t.Logf("missing bucket: %v", err)
}

// TestVirtualHostAgainstServer uses virtual-host addressing against the
// real server (bucket.s3.localhost, dialled on 127.0.0.1).
func TestVirtualHostAgainstServer(t *testing.T) {
	srv := testbed.S3T(t)
	o := serverOptions(t, srv, srv.Restricted)
	o.Host, o.AddressingStyle, o.DialContext = srv.VirtualDomain, "virtual", srv.DialContext
	b := mustNew(t, o)
	defer b.Close()
	data := randomBytes(11*mib, 11)
	info, err := b.Put(t.Context(), "vhost/nb-1-big-Data.db", bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Put in virtual-host style: %v", err)
	}
	if want, _ := b.ExpectedHash(t.Context(), bytes.NewReader(data)); info.Hash != want || !strings.HasSuffix(want, "-3") {
		t.Errorf("ETag %q, ExpectedHash %q (want equal, 3 parts)", info.Hash, want)
	}
	// The object is there in path style too.
	pb := mustNew(t, serverOptions(t, srv, srv.Admin))
	defer pb.Close()
	if st, err := pb.Stat(t.Context(), "vhost/nb-1-big-Data.db"); err != nil || st.Size != int64(len(data)) {
		t.Errorf("Stat in path style: %+v, %v", st, err)
	}
}

// TestPutMemoryFlat: a 96 MiB multipart upload in 16 MiB parts, 2 in
// flight, allocates less than one part in total: parts are streamed from
// the Source, never buffered (the SDK's transfer manager would allocate
// at least parts in flight x part size).
func TestPutMemoryFlat(t *testing.T) {
	srv := testbed.S3T(t)
	o := serverOptions(t, srv, srv.Admin)
	o.MultipartChunkSize, o.MultipartConcurrency = 16*mib, 2
	b := mustNew(t, o)
	defer b.Close()
	src := storagetest.Pattern{N: 96 * mib, Seed: 5}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	info, err := b.Put(t.Context(), "mem/nb-9-big-Data.db", src)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := checksum.ExpectedETag(t.Context(), src, o.MultipartThreshold, o.MultipartChunkSize); info.Hash != want || !strings.HasSuffix(want, "-6") {
		t.Errorf("ETag %q, want %q (6 parts)", info.Hash, want)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("a 96 MiB upload allocated %.1f MiB in total", float64(alloc)/mib)
	if alloc >= 16*mib {
		t.Errorf("a 96 MiB upload allocated %d bytes, at least one 16 MiB part: parts are being buffered", alloc)
	}
}
