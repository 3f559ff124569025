package catalog

import (
	"context"
	"strconv"
	"sync"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/checksum"
)

// tokenmapReader reads the index's tokenmap entries of many cluster
// backups with one GET per distinct content: entries whose listing shows
// the same size and the same content MD5 (S3 single-part ETag, GCS
// md5Hash, Azure Content-MD5, local MD5) hold the same bytes, and a
// cluster's topology rarely changes between backups, so an index of 1,000
// backups usually needs a handful of GETs instead of 1,000. Entries
// without a content MD5 in the listing (SSE-C or SSE-KMS ETags, Azure
// ETags) are read one by one. Safe for concurrent use.
type tokenmapReader struct {
	info map[string]storage.ObjectInfo // the index listing
	read func(ctx context.Context, key string) (layout.Tokenmap, error)

	mu      sync.Mutex
	content map[string]*tokenmapRead
}

// tokenmapRead is one GET shared by the entries of the same content.
type tokenmapRead struct {
	once sync.Once
	key  string
	t    layout.Tokenmap
	err  error
}

func newTokenmapReader(info map[string]storage.ObjectInfo,
	read func(ctx context.Context, key string) (layout.Tokenmap, error)) *tokenmapReader {
	return &tokenmapReader{info: info, read: read, content: map[string]*tokenmapRead{}}
}

// get returns the tokenmap stored under key. When the shared read of its
// content failed, key is read on its own, so that an error always
// concerns key itself.
func (r *tokenmapReader) get(ctx context.Context, key string) (layout.Tokenmap, error) {
	obj, ok := r.info[key]
	id := contentID(obj)
	if !ok || id == "" {
		return r.read(ctx, key)
	}
	r.mu.Lock()
	e := r.content[id]
	if e == nil {
		e = &tokenmapRead{key: key}
		r.content[id] = e
	}
	r.mu.Unlock()
	e.once.Do(func() { e.t, e.err = r.read(ctx, e.key) })
	if e.err != nil && e.key != key {
		return r.read(ctx, key)
	}
	return e.t, e.err
}

// contentID identifies an object's bytes by size and content MD5, or is
// "" when the store's hash is not a plain MD5 of the content.
func contentID(o storage.ObjectInfo) string {
	sum := checksum.Parse(o.Hash)
	if sum.Kind != checksum.Plain {
		return ""
	}
	return strconv.FormatInt(o.Size, 10) + ":" + sum.String()
}
