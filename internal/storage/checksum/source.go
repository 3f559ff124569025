package checksum

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/medusa-go/medusa/internal/storage"
)

// readSize is the size of one read of a source being hashed.
const readSize = 1 << 20

// MD5 returns the plain MD5 digest of src, read sequentially in 1 MiB
// pieces, checking ctx between reads.
func MD5(ctx context.Context, src storage.Source) ([]byte, error) {
	h := NewHasher(0)
	if err := hashSource(ctx, h, src); err != nil {
		return nil, err
	}
	return h.Digest(), nil
}

// MD5Hex returns the hex MD5 of src (what S3 and local storage report for
// an object uploaded in one piece).
func MD5Hex(ctx context.Context, src storage.Source) (string, error) {
	h := NewHasher(0)
	if err := hashSource(ctx, h, src); err != nil {
		return "", err
	}
	return h.Sum(), nil
}

// MultipartETag returns the S3 ETag of src uploaded in parts of partSize
// bytes.
func MultipartETag(ctx context.Context, src storage.Source, partSize int64) (string, error) {
	if partSize <= 0 {
		return "", fmt.Errorf("multipart ETag: part size %d", partSize)
	}
	h := NewHasher(partSize)
	if err := hashSource(ctx, h, src); err != nil {
		return "", err
	}
	return h.Sum(), nil
}

// ExpectedETag returns the ETag S3 gives src when uploaded with this
// multipart threshold and chunk size (PartLayout): the hex MD5 for a
// single PutObject, else the multipart ETag. src is read once, streaming.
// Objects stored with SSE-C or SSE-KMS get other ETags.
func ExpectedETag(ctx context.Context, src storage.Source, threshold, chunk int64) (string, error) {
	multipart, partSize, _ := PartLayout(src.Size(), threshold, chunk)
	if !multipart {
		return MD5Hex(ctx, src)
	}
	return MultipartETag(ctx, src, partSize)
}

// hashSource writes src into w in reads of readSize, checking ctx between
// reads.
func hashSource(ctx context.Context, w io.Writer, src storage.Source) error {
	size := src.Size()
	buf := make([]byte, min(readSize, max(size, 1)))
	for off := int64(0); off < size; {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := src.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		w.Write(buf[:n])
		off += int64(n)
		if err != nil && !(errors.Is(err, io.EOF) && off == size) {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("read at %d of %d bytes for its hash: %w", off, size, err)
		}
		if n == 0 && err == nil {
			return fmt.Errorf("read at %d of %d bytes for its hash: %w", off, size, io.ErrNoProgress)
		}
	}
	return ctx.Err()
}
