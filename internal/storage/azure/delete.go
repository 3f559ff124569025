package azure

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"golang.org/x/sync/errgroup"
)

// batchSize is the service's limit of sub-requests per blob batch.
const batchSize = 256

// DeleteMany deletes keys in blob batches of up to 256; missing keys are
// not errors. If the service refuses batches (some account kinds and
// emulators do), it deletes concurrently instead, from then on.
func (b *Backend) DeleteMany(ctx context.Context, keys []string) error {
	for start := 0; start < len(keys); start += batchSize {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("delete many: %w", err)
		}
		chunk := keys[start:min(start+batchSize, len(keys))]
		if b.noBatch.Load() {
			if err := b.deleteConcurrently(ctx, chunk); err != nil {
				return err
			}
			continue
		}
		err := b.deleteBatch(ctx, chunk)
		if errors.Is(err, errBatchRefused) {
			b.opts.Logger.Info("azure: blob batch refused; deleting one blob per request",
				"container", b.opts.Container, "error", err)
			b.noBatch.Store(true)
			err = b.deleteConcurrently(ctx, chunk)
		}
		if err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete many: %w", err)
	}
	return nil
}

// errBatchRefused marks a batch the service did not accept as a batch.
var errBatchRefused = errors.New("blob batch refused")

// deleteBatch submits one batch and checks every sub-response.
func (b *Backend) deleteBatch(ctx context.Context, keys []string) error {
	bb, err := b.client.NewBatchBuilder()
	if err != nil {
		return fmt.Errorf("delete many: %w", err)
	}
	opts := &container.BatchDeleteOptions{DeleteOptions: blob.DeleteOptions{
		DeleteSnapshots: to.Ptr(blob.DeleteSnapshotsOptionTypeInclude),
	}}
	for _, key := range keys {
		if err := bb.Delete(key, opts); err != nil {
			return fmt.Errorf("delete many: %s: %w", key, err)
		}
	}
	resp, err := b.client.SubmitBatch(ctx, bb, nil)
	if err != nil {
		if batchRefused(err) {
			return fmt.Errorf("%w: %w", errBatchRefused, b.translate("delete many", keys[0], err))
		}
		return b.translate("delete many", keys[0], err)
	}
	for i, item := range resp.Responses {
		if item.Error == nil {
			continue
		}
		key := keys[min(i, len(keys)-1)]
		if item.BlobName != nil {
			key = *item.BlobName
		}
		if err := b.translate("delete", key, item.Error); !isMissingBlob(err) {
			return err
		}
	}
	return nil
}

// batchRefused reports a whole-batch answer that means "no batches here"
// rather than a problem with credentials, the container or the service.
func batchRefused(err error) bool {
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		return false
	}
	switch re.StatusCode {
	case http.StatusBadRequest, http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusNotImplemented:
		return re.ErrorCode != "ContainerNotFound"
	}
	return false
}

// deleteConcurrently deletes keys one request each, Options.Concurrency
// at a time; the first error stops the rest.
func (b *Backend) deleteConcurrently(ctx context.Context, keys []string) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(b.opts.Concurrency)
	for _, key := range keys {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error { return b.Delete(gctx, key) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete many: %w", err)
	}
	return nil
}
