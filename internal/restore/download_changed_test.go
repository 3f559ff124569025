package restore

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/retry"
	"github.com/medusa-go/medusa/internal/storage/storagetest"
)

// replaceOnOpen overwrites key with content right after its first Get has
// opened a stream on the old version, and counts the Gets of key.
type replaceOnOpen struct {
	storage.Backend
	key, content string
	once         sync.Once
	err          error
	gets         atomic.Int32
}

func (r *replaceOnOpen) Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, storage.ObjectInfo, error) {
	rc, info, err := r.Backend.Get(ctx, key, offset, length)
	if key == r.key {
		r.gets.Add(1)
	}
	if err == nil && key == r.key {
		r.once.Do(func() { _, r.err = r.Backend.Put(ctx, key, strings.NewReader(r.content)) })
	}
	return rc, info, err
}

// TestDownloadOfReplacedObjectFails: an object replaced (same size) while
// its download was broken and resumed fails the download with ErrChanged
// naming the object, instead of writing the start of one version and the
// end of the other.
func TestDownloadOfReplacedObjectFails(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.backup(backedUp)
	key := f.l.TablePrefix(fxFQDN, fxBackup, "ks", "users-1111") + "nb-1-big-Data.db"
	faulty := storagetest.NewFaulty(f.store)
	faulty.Inject(storagetest.Fault{Op: storagetest.OpRead, Key: key, Err: storagetest.ErrConnReset, After: 3, Times: 1})
	replacing := &replaceOnOpen{Backend: faulty, key: key, content: "users v9"}
	store := retry.New(replacing, retry.Policy{BaseDelay: time.Millisecond})
	o := DownloadOptions{Backup: fxBackup, FQDN: fxFQDN, Concurrency: 2, Destination: t.TempDir()}
	_, err := Download(t.Context(), Deps{Storage: store}, o)
	if replacing.err != nil {
		t.Fatalf("replacing the object: %v", replacing.err)
	}
	if !errors.Is(err, storage.ErrChanged) || !strings.Contains(err.Error(), key) {
		t.Errorf("download of an object replaced mid-read: error %v, want ErrChanged naming %s", err, key)
	}
	if n := replacing.gets.Load(); n != 2 {
		t.Errorf("%d Gets of the object, want 2 (the read and one resume): a changed object is not retried", n)
	}
}
