package catalog

import (
	"context"
	"fmt"
	"io"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/checksum"
)

// blobCheck is what the comparison of one listed object with its
// manifest entry found.
type blobCheck struct {
	ok bool
	// note says why a listed hash other than the manifest's is fine;
	// unchecked when the content could not be compared either.
	note      string
	unchecked bool
}

// matchesManifest compares a listed object with its manifest entry: size,
// and with md5 the hash when both sides have one. The listed hash is a
// shortcut, not a verdict: when it differs from the manifest's, the object
// is read (streamed, never held) and its content compared with the
// manifest's hash, plain MD5 or multipart ETag with the backend's and the
// usual part sizes.
// Content that matches is fine, with a note; content that differs, or does
// not reproduce a multipart ETag with any part size tried, is not (as in a
// restore). Hashes that are no MD5s of the content (SSE-KMS/SSE-C, Azure
// ETags) cannot be compared: fine but unchecked, with a warning, since a
// re-upload of the same bytes changes such hashes too.
func (c *Catalog) matchesManifest(ctx context.Context, blob storage.ObjectInfo, o layout.Object, md5 bool) (blobCheck, error) {
	if blob.Size != o.Size {
		return blobCheck{}, nil
	}
	if !md5 || blob.Hash == "" || o.MD5 == nil || *o.MD5 == "" {
		return blobCheck{ok: true}, nil
	}
	want := *o.MD5
	if checksum.Equal(blob.Hash, want) {
		return blobCheck{ok: true}, nil
	}
	changed := fmt.Sprintf("Blob [%s] has hash %s in storage but %s in the manifest (stored again since the backup)",
		blob.Key, blob.Hash, want)
	if !checksum.HashesAreContent(c.Backend) || !checksum.Parse(want).IsContent() {
		return blobCheck{ok: true, unchecked: true,
			note: changed + "; its content cannot be checked: the hashes are not MD5s of the content"}, nil
	}
	v, err := c.contentVerdict(ctx, blob.Key, want, o.Size)
	switch {
	case err != nil:
		return blobCheck{}, err
	case v == checksum.Matches:
		return blobCheck{ok: true, note: changed + "; its content matches the manifest"}, nil
	case v == checksum.Differs:
		return blobCheck{}, nil
	}
	// Nothing vouches for the object: its content does not reproduce the
	// manifest's multipart ETag with the backend's or a usual part size,
	// and the store no longer reports that ETag. A restore refuses it too.
	c.log().Error(changed + "; its content does not reproduce the manifest's ETag with any part size tried (the backend's, " +
		checksum.UsualPartSizes() + ")")
	return blobCheck{}, nil
}

// contentVerdict streams key and compares its bytes with the hash want.
func (c *Catalog) contentVerdict(ctx context.Context, key, want string, size int64) (checksum.Verdict, error) {
	r, _, err := c.Backend.Get(ctx, key, 0, -1)
	if err != nil {
		return checksum.Unknown, fmt.Errorf("read %s to check its content: %w", key, err)
	}
	defer r.Close()
	ck := checksum.NewChecker(want, size, checksum.PartSizeOf(c.Backend, size))
	if _, err := io.CopyBuffer(ck, r, make([]byte, 1<<20)); err != nil {
		return checksum.Unknown, fmt.Errorf("read %s to check its content: %w", key, err)
	}
	return ck.Verdict(), nil
}
