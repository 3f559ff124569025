package azure

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"golang.org/x/sync/errgroup"

	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/checksum"
)

// Put uploads src as a block blob: one request up to one block, staged
// blocks and a commit above. Nothing is committed on failure.
func (b *Backend) Put(ctx context.Context, key string, src storage.Source) (storage.ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	bb := b.client.NewBlockBlobClient(key)
	var (
		info storage.ObjectInfo
		err  error
	)
	if src.Size() <= b.opts.BlockSize {
		info, err = b.putSingle(ctx, bb, key, src)
	} else {
		info, err = b.putBlocks(ctx, bb, key, src)
	}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return storage.ObjectInfo{}, fmt.Errorf("put %s: %w", key, ctxErr)
		}
		return storage.ObjectInfo{}, b.translate("put", key, err)
	}
	return info, nil
}

// putSingle sends the object in one Put Blob with its MD5, which the
// service checks against the body and keeps as Content-MD5.
func (b *Backend) putSingle(ctx context.Context, bb *blockblob.Client, key string, src storage.Source) (storage.ObjectInfo, error) {
	sum, err := checksum.MD5(ctx, src)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	resp, err := bb.Upload(ctx, streaming.NopCloser(io.NewSectionReader(src, 0, src.Size())), &blockblob.UploadOptions{
		HTTPHeaders:             &blob.HTTPHeaders{BlobContentMD5: sum},
		TransactionalValidation: blob.TransferValidationTypeMD5(sum),
		Tier:                    b.tier,
	})
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	size := src.Size()
	return objectInfo(key, &size, resp.LastModified, sum, resp.ETag), nil
}

// putBlocks stages the blocks concurrently from section readers while one
// goroutine hashes the whole Source, then commits the list with the MD5.
func (b *Backend) putBlocks(ctx context.Context, bb *blockblob.Client, key string, src storage.Source) (storage.ObjectInfo, error) {
	size := src.Size()
	bs := blockSizeFor(size, b.opts.BlockSize)
	n := int((size + bs - 1) / bs)
	ids, err := blockIDs(n)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	var sum []byte
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(b.opts.Concurrency + 1) // + the hashing goroutine
	g.Go(func() (err error) {
		sum, err = checksum.MD5(gctx, src)
		return err
	})
	// The one place SDK retries are on: resending one block is cheaper
	// than the decorator resending the whole object.
	stageCtx := policy.WithRetryOptions(gctx, policy.RetryOptions{MaxRetries: uploadRetries})
	for i := range n {
		if gctx.Err() != nil {
			break
		}
		off := int64(i) * bs
		body := io.NewSectionReader(src, off, min(bs, size-off))
		g.Go(func() error {
			_, err := bb.StageBlock(stageCtx, ids[i], streaming.NopCloser(body), nil)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return storage.ObjectInfo{}, err
	}
	if err := ctx.Err(); err != nil {
		return storage.ObjectInfo{}, err
	}
	resp, err := bb.CommitBlockList(ctx, ids, &blockblob.CommitBlockListOptions{
		HTTPHeaders: &blob.HTTPHeaders{BlobContentMD5: sum},
		Tier:        b.tier,
	})
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	return objectInfo(key, &size, resp.LastModified, sum, resp.ETag), nil
}

// blockSizeFor grows the block size when size would need more blocks than
// a blob may have, in whole MiB.
func blockSizeFor(size, blockSize int64) int64 {
	if (size+blockSize-1)/blockSize <= maxBlocks {
		return blockSize
	}
	bs := (size + maxBlocks - 1) / maxBlocks
	return (bs + 1<<20 - 1) >> 20 << 20
}

// blockIDs returns n block IDs of one upload: a random upload prefix and
// the block index, 16 bytes in base64, so every ID of every upload has the
// same length (the service requires it for blocks of one blob, including
// blocks left uncommitted by an earlier failed upload).
func blockIDs(n int) ([]string, error) {
	var raw [16]byte
	if _, err := rand.Read(raw[:8]); err != nil {
		return nil, fmt.Errorf("block ids: %w", err)
	}
	ids := make([]string, n)
	for i := range ids {
		binary.BigEndian.PutUint64(raw[8:], uint64(i))
		ids[i] = base64.StdEncoding.EncodeToString(raw[:])
	}
	return ids, nil
}
