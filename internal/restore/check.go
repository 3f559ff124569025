package restore

import (
	"context"
	"errors"
	"fmt"

	"github.com/medusa-go/medusa/internal/progress"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/checksum"
)

// check verifies every downloaded file against the manifest.
func (r *run) check(ctx context.Context) error {
	return newChecker(r.d, r.o.SkipContentHash).checkAll(ctx, r.p, r.fetched)
}

// checker verifies downloaded files against the manifest.
type checker struct {
	d           *Deps
	skipContent bool
}

func newChecker(d *Deps, skipContent bool) *checker {
	// A backend with SSE-KMS or SSE-C says so itself, whatever the options.
	return &checker{d: d, skipContent: skipContent || !checksum.HashesAreContent(d.Storage)}
}

// checkAll verifies every file and returns all problems at once. Files
// whose content cannot be verified (multipart ETag of an unknown part
// size, a recorded hash that is no MD5) are counted in a warning.
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
		c.d.Logger.Warn(fmt.Sprintf("%d of %d files checked by size only (their content hash cannot be computed here)",
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

// checkOne verifies one file: its size, then its content against the
// manifest's hash (plain MD5, or S3 multipart ETag). The store's current
// hash is a shortcut, not a veto: an object stored again with the same
// bytes (another multipart chunk size, SSE-KMS) has another hash, and the
// content decides. Content that differs is refused, naming the key. When
// the content cannot be compared (a multipart ETag of a part size not
// tried), the file is unverified if the store still reports the
// manifest's hash, and refused if not: nothing vouches for it then. Hashes
// that are no MD5s of the content (SSE-KMS/SSE-C buckets, Azure ETags)
// leave the file unverified, with a warning naming the key when the
// store's hash changed.
func (c *checker) checkOne(ctx context.Context, f fetched) (verified bool, err error) {
	o := f.File.Object
	name := f.Table.Keyspace + "/" + f.Table.Dir + "/" + f.File.Rel
	if f.Size != o.Size {
		return false, fmt.Errorf("%s: downloaded %d bytes, the manifest says %d", name, f.Size, o.Size)
	}
	want := ""
	if o.MD5 != nil {
		want = *o.MD5
	}
	if checksum.Parse(want).Kind == checksum.Empty {
		return true, nil // Medusa's local storage records no hash for reused files
	}
	changed := f.StoreHash != "" && !checksum.Equal(f.StoreHash, want)
	v, err := c.verdict(ctx, f, want)
	if err != nil {
		return false, fmt.Errorf("%s: %w", name, err)
	}
	switch {
	case v == checksum.Matches && changed:
		c.d.Logger.Info(fmt.Sprintf("%s: object %s was stored again since the backup (hash %s, the manifest's %s); "+
			"its content matches the manifest", name, o.Path, f.StoreHash, want))
	case v == checksum.Differs:
		why := "corrupted at rest or in transfer; if the bucket uses SSE-KMS or SSE-C, its hashes are not MD5s: " +
			"set kms_id or sse_c_key"
		if changed {
			why = fmt.Sprintf("the object was replaced since the backup: the store reports hash %s", f.StoreHash)
		}
		return false, fmt.Errorf("%s: the content of %s (%s) does not match the manifest's %s (%s)",
			name, o.Path, f.Content, want, why)
	case v == checksum.Unknown && changed && checksum.Parse(want).IsContent() && !c.skipContent:
		return false, fmt.Errorf("%s: object %s was replaced since the backup (the store reports hash %s, the manifest %s) "+
			"and its content does not reproduce the manifest's hash with any part size tried (the backend's, %s)",
			name, o.Path, f.StoreHash, want, checksum.UsualPartSizes())
	case v == checksum.Unknown && changed:
		c.d.Logger.Warn(fmt.Sprintf("%s: object %s was stored again since the backup (hash %s, the manifest's %s) "+
			"and its content cannot be compared with the manifest's hash (not an MD5 of the content)",
			name, o.Path, f.StoreHash, want))
	}
	return v == checksum.Matches, nil
}

// verdict compares a downloaded file with the manifest's hash want: the
// hash computed during the download first (the common case: no second
// read), then, for a multipart ETag not reproduced by the likeliest part
// size, the file read again with the backend's settings and the usual
// part sizes. Without content checks (SSE buckets, whose recorded hashes
// are not MD5s) only a match counts.
func (c *checker) verdict(ctx context.Context, f fetched, want string) (checksum.Verdict, error) {
	w := checksum.Parse(want)
	switch {
	case !w.IsContent():
		return checksum.Unknown, nil
	case checksum.Equal(f.Content, want):
		return checksum.Matches, nil
	case c.skipContent:
		return checksum.Unknown, nil
	case w.Kind == checksum.Plain:
		return checksum.Differs, nil
	}
	src, err := storage.OpenFileSource(f.Path)
	if err != nil {
		return checksum.Unknown, err
	}
	defer src.Close()
	return checksum.VerifySource(ctx, src, want, checksum.PartSizeOf(c.d.Storage, src.Size()))
}
