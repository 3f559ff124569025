package s3

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/checksum"
	"github.com/medusa-go/medusa/internal/testbed"
)

// imdsExpiry is the lifetime of the instance-role credentials the fake
// metadata service hands out: short, so the test takes about half a minute.
const imdsExpiry = 20 * time.Second

// TestIMDSCredentialRefresh: without a key_file, credentials come from the
// EC2 instance metadata service (IMDSv2), here a fake handing out the
// restricted user's key that expires after imdsExpiry. A multipart upload
// whose third part starts only after that expiry must complete, with the
// SDK fetching credentials again in the middle of it.
func TestIMDSCredentialRefresh(t *testing.T) {
	srv := testbed.S3T(t)
	imds := testbed.IMDST(t, testbed.IMDSOptions{
		AccessKey: srv.Restricted.AccessKey, Secret: srv.Restricted.Secret, Expiry: imdsExpiry,
	})
	imds.SetenvT(t)
	b := mustNew(t, Options{Provider: "s3_compatible", Bucket: srv.Bucket, Region: srv.Region,
		Host: srv.Host, Port: srv.Port, MultipartThreshold: partSize, MultipartChunkSize: partSize,
		MultipartConcurrency: 1})
	defer b.Close()

	data := randomBytes(2*partSize+partSize/2, 12)
	src := &waitAfter{Source: bytes.NewReader(data), from: 2 * partSize, until: func() time.Time {
		return imds.LastExpiration().Add(time.Second)
	}}
	info, err := b.Put(t.Context(), "imds/nb-1-big-Data.db", src)
	if err != nil {
		t.Fatalf("Put across the credentials' expiry: %v (IMDS fetches: %d)", err, imds.Fetches())
	}
	if want, _ := checksum.ExpectedETag(t.Context(), bytes.NewReader(data), partSize, partSize); info.Hash != want {
		t.Errorf("ETag %q, want %q", info.Hash, want)
	}
	if !src.waited.Load() {
		t.Error("the third part did not wait for the expiry; the test proves nothing")
	}
	if n := imds.Fetches(); n < 2 {
		t.Errorf("credentials fetched %d times from IMDS, want at least 2 (refresh after expiry)", n)
	}
	t.Logf("IMDS credential fetches: %d", imds.Fetches())
	if got := b.credentialsName(t.Context()); got != "the IAM role via instance metadata" {
		t.Errorf("credentials described as %q", got)
	}
}

// waitAfter delays the first read at or after offset from until the time
// until() returns, so the parts from there on are signed after it.
type waitAfter struct {
	storage.Source
	from   int64
	until  func() time.Time
	waited atomic.Bool
}

func (w *waitAfter) ReadAt(p []byte, off int64) (int, error) {
	if off >= w.from && w.waited.CompareAndSwap(false, true) {
		ctx, cancel := context.WithDeadline(context.Background(), w.until())
		<-ctx.Done()
		cancel()
	}
	return w.Source.ReadAt(p, off)
}
