package restore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/medusa-go/medusa/internal/progress"
	"github.com/medusa-go/medusa/internal/storage"
)

// check verifies every downloaded file against the manifest.
func (r *run) check(ctx context.Context) error {
	return newChecker(r.d, r.o.SkipContentHash).checkAll(ctx, r.p, r.fetched)
}

// checker verifies downloaded files against the manifest.
type checker struct {
	d           *Deps
	hasher      expectedHasher // nil when the backend has no ExpectedHash
	skipContent bool
}

func newChecker(d *Deps, skipContent bool) *checker {
	h, _ := storage.As[expectedHasher](d.Storage)
	return &checker{d: d, hasher: h, skipContent: skipContent}
}

// checkAll verifies every file and returns all problems at once. Files
// whose content cannot be verified (multipart ETag of an unknown part
// size, a store hash that is no MD5) are reported as warnings.
func (c *checker) checkAll(ctx context.Context, p *Plan, files []fetched) error {
	if len(files) != p.Files {
		return fmt.Errorf("%d files were downloaded, the plan has %d", len(files), p.Files)
	}
	tr := progress.Start(c.d.Progress, string(StageCheck), int64(len(files)), p.Bytes)
	defer tr.Finish()
	var errs []error
	unverified := 0
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		verified, err := c.checkOne(ctx, f)
		if err != nil {
			errs = append(errs, err)
		} else if !verified {
			unverified++
		}
		tr.AddBytes(f.Size)
		tr.FileDone()
	}
	if unverified > 0 {
		c.d.Logger.Warn(fmt.Sprintf("%d of %d files checked by size and store hash only (their content hash cannot be computed here)",
			unverified, len(files)))
	}
	if len(errs) > 10 {
		errs = append(errs[:10], fmt.Errorf("... and %d more", len(errs)-10))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d downloaded files do not match the manifest (the backup is damaged):\n%w",
			len(errs), errors.Join(errs...))
	}
	c.d.Logger.Info(fmt.Sprintf("Checked %d files (%s) against the manifest", len(files), progress.Bytes(p.Bytes)))
	return nil
}

// checkOne verifies one file: its size, the store's hash against the
// manifest's (the object was not replaced since the backup), and its
// content against the manifest's hash when that is an MD5 or an S3
// multipart ETag. verified is false when the content could not be hashed
// the way the store did.
func (c *checker) checkOne(ctx context.Context, f fetched) (verified bool, err error) {
	o := f.File.Object
	name := f.Table.Keyspace + "/" + f.Table.Dir + "/" + f.File.Rel
	if f.Size != o.Size {
		return false, fmt.Errorf("%s: downloaded %d bytes, the manifest says %d", name, f.Size, o.Size)
	}
	want := ""
	if o.MD5 != nil {
		want = strings.TrimSpace(*o.MD5)
	}
	if want == "" {
		return true, nil // Medusa's local storage records no hash for reused files
	}
	if f.StoreHash != "" && !hashesEqual(f.StoreHash, want) {
		return false, fmt.Errorf("%s: the store reports hash %s, the manifest %s: the object was replaced since the backup",
			name, f.StoreHash, want)
	}
	if c.skipContent {
		return false, nil
	}
	if digest := md5Digest(want); digest != nil {
		if !bytes.Equal(digest, f.MD5) {
			return false, fmt.Errorf("%s: content MD5 %x differs from the manifest's %s (corrupted at rest or in "+
				"transfer; if the bucket uses SSE-KMS or SSE-C its hashes are not MD5s: set kms_id or sse_c_key)",
				name, f.MD5, want)
		}
		return true, nil
	}
	if parts, ok := parseMultipart(want); ok {
		if f.PartsETag != "" && hashesEqual(f.PartsETag, want) {
			return true, nil // hashed during the download: no second read
		}
		return c.checkMultipart(ctx, f, name, want, parts)
	}
	return false, nil // e.g. an Azure ETag: not a content hash
}

// checkMultipart recomputes an S3 multipart ETag from the file: with the
// backend's settings first, then with usual part sizes that give the same
// number of parts. When none matches and the backend's settings give the
// same number of parts, the content is wrong; otherwise the part size used
// at upload is unknown and the content is left unverified.
func (c *checker) checkMultipart(ctx context.Context, f fetched, name, want string, parts int) (bool, error) {
	src, err := storage.OpenFileSource(f.Path)
	if err != nil {
		return false, err
	}
	defer src.Close()
	sameLayout := false
	if c.hasher != nil {
		got, err := c.hasher.ExpectedHash(ctx, src)
		if err != nil {
			return false, fmt.Errorf("%s: %w", name, err)
		}
		if hashesEqual(got, want) {
			return true, nil
		}
		n, _ := parseMultipart(got)
		sameLayout = n == parts
	}
	for _, size := range partSizeCandidates(src.Size(), parts) {
		got, err := multipartETag(ctx, src, size)
		if err != nil {
			return false, fmt.Errorf("%s: %w", name, err)
		}
		if hashesEqual(got, want) {
			return true, nil
		}
	}
	if sameLayout {
		return false, fmt.Errorf("%s: content does not match the manifest's multipart ETag %s (corrupted at rest or in transfer)",
			name, want)
	}
	return false, nil
}
