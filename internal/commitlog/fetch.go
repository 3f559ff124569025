package commitlog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/medusa-go/medusa/internal/atomicfile"
	"github.com/medusa-go/medusa/internal/storage"
)

// Fetch downloads the archived segment info of fqdn to dstPath: it streams
// the object, decompresses it (codec zst), checks the size, the SHA-256 and
// the header (CRC, and the id and version of info), writes to a temporary
// name in dstPath's directory, fsyncs, and only then renames it to dstPath,
// so that a file at dstPath is always a complete, verified segment. b is
// rooted at the storage prefix (see Under). The temporary file is named
// .fetch-<name>-*; Fetch removes it when it fails, but a killed process
// leaves it: Cassandra refuses to start when restore_directories holds a
// file that is not a segment, so run RemoveFetchTemps on that directory
// before starting it.
func Fetch(ctx context.Context, b storage.Backend, fqdn string, info SegmentInfo, dstPath string) error {
	key := SegmentKey(fqdn, info)
	rc, _, err := b.Get(ctx, key, 0, -1)
	if err != nil {
		return fmt.Errorf("download archived segment %s: %w", key, err)
	}
	defer rc.Close()
	var src io.Reader = rc
	switch info.Codec {
	case CodecZstd:
		d, err := zstd.NewReader(rc, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return fmt.Errorf("decompress %s: %w", key, err)
		}
		defer d.Close()
		src = d
	case CodecRaw:
	default:
		return fmt.Errorf("archived segment %s: unknown codec %q", key, info.Codec)
	}
	dir := filepath.Dir(dstPath)
	f, err := os.CreateTemp(dir, fetchTempPrefix+info.Name+"-*")
	if err != nil {
		return fmt.Errorf("download %s: %w", key, err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), ctxReader{ctx, src})
	if err != nil {
		return fmt.Errorf("download %s to %s: %w", key, tmp, err)
	}
	if n != info.RawSize {
		return fmt.Errorf("archived segment %s: %d bytes after download, its sidecar says %d", key, n, info.RawSize)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != info.SHA256 {
		return fmt.Errorf("archived segment %s: SHA-256 %s after download, its sidecar says %s", key, sum, info.SHA256)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("download %s: %w", key, err)
	}
	hdr, err := ReadHeader(f)
	if err != nil {
		return fmt.Errorf("archived segment %s: %w", key, err)
	}
	if hdr.Name() != info.SegmentName() {
		return fmt.Errorf("archived segment %s: its header names %s", key, hdr.Name())
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("download %s: fsync %s: %w", key, tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("download %s: %w", key, err)
	}
	if err := os.Rename(tmp, dstPath); err != nil {
		return fmt.Errorf("download %s: %w", key, err)
	}
	ok = true
	return atomicfile.SyncDir(dir)
}

// fetchTempPrefix starts the names of Fetch's temporary files.
const fetchTempPrefix = ".fetch-"

// RemoveFetchTemps removes the temporary files of interrupted Fetch calls
// from dir and returns their names.
func RemoveFetchTemps(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("remove interrupted downloads from %s: %w", dir, err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), fetchTempPrefix) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return out, fmt.Errorf("remove interrupted download: %w", err)
			}
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// ctxReader stops a copy once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
