package s3

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/testbed"
)

// TestObjectLockServer: on the real S3 server, in a bucket created with
// Object Lock and as the user holding Medusa's policy, objects written
// with ObjectLock (single and multipart uploads) carry the retention date;
// deleting or overwriting them is refused with storage.ErrLocked until
// the date passes; exempt keys stay overwritable; after the date the
// delete works.
func TestObjectLockServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an S3 server")
	}
	srv := testbed.S3T(t)
	const bucket = "medusa-locked"
	if err := srv.NewLockedBucket(t.Context(), bucket); err != nil {
		t.Fatal(err)
	}
	o := serverOptions(t, srv, srv.Restricted)
	o.Bucket = bucket
	const period = 4 * time.Second
	o.ObjectLock = &ObjectLock{Mode: "governance", Period: period,
		Exempt: func(k string) bool { return strings.HasPrefix(k, "index/latest_backup/") }}
	b := mustNew(t, o)
	t.Cleanup(func() { _ = b.Close() })
	ctx := t.Context()

	start := time.Now()
	small, big := "n1/b1/meta/schema.cql", "n1/data/ks/t/big-Data.db"
	if _, err := b.Put(ctx, small, bytes.NewReader([]byte("CREATE TABLE"))); err != nil {
		t.Fatalf("put with retention: %v", err)
	}
	if _, err := b.Put(ctx, big, bytes.NewReader(bytes.Repeat([]byte("x"), 2*partSize+partSize/2))); err != nil {
		t.Fatalf("multipart put with retention: %v", err)
	}
	marker := "index/latest_backup/n1/backup_name.txt"
	for _, body := range []string{"b1", "b2"} {
		if _, err := b.Put(ctx, marker, bytes.NewReader([]byte(body))); err != nil {
			t.Fatalf("overwrite of the exempt marker: %v", err)
		}
	}
	for _, k := range []string{small, big} {
		until, err := b.RetainUntil(ctx, k)
		if err != nil {
			t.Fatalf("RetainUntil %s: %v", k, err)
		}
		if until.Before(start.Add(period-time.Second)) || until.After(time.Now().Add(period+time.Second)) {
			t.Errorf("%s retained until %v, want about %v", k, until, start.Add(period))
		}
	}
	if until, err := b.RetainUntil(ctx, marker); err != nil || !until.IsZero() {
		t.Errorf("marker retention = %v, %v; want none", until, err)
	}
	if err := b.Delete(ctx, small); !errors.Is(err, storage.ErrLocked) {
		t.Errorf("delete of a locked object: %v, want ErrLocked", err)
	}
	if err := b.DeleteMany(ctx, []string{small, big}); !errors.Is(err, storage.ErrLocked) {
		t.Errorf("DeleteMany of locked objects: %v, want ErrLocked", err)
	}
	if _, err := b.Put(ctx, small, bytes.NewReader([]byte("changed"))); !errors.Is(err, storage.ErrLocked) {
		t.Errorf("overwrite of a locked object: %v, want ErrLocked", err)
	}
	if _, err := b.Stat(ctx, big); err != nil {
		t.Errorf("the locked object is gone: %v", err)
	}

	time.Sleep(time.Until(start.Add(period + time.Second)))
	if err := b.DeleteMany(ctx, []string{small, big}); err != nil {
		t.Fatalf("delete after the retention date: %v", err)
	}
	if _, err := b.Stat(ctx, small); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("stat after delete: %v, want ErrNotExist", err)
	}
}
