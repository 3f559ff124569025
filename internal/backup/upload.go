package backup

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/medusa-go/medusa/internal/progress"
	"github.com/medusa-go/medusa/internal/storage"
)

// upload is stage upload: Concurrency files in flight,
// taken in table order but across tables (Medusa finishes each table
// before the next). Each file is streamed from disk; its manifest entry
// is what the store reported. The first failure cancels the uploads in
// flight and no further upload starts.
func (r *run) upload(ctx context.Context) error {
	var tasks []fileTask
	var bytes int64
	for ti := range r.plans {
		for _, t := range r.plans[ti].uploads {
			tasks = append(tasks, t)
			bytes += t.file.Size
		}
	}
	r.d.Logger.Info("Uploading files", "files", len(tasks), "bytes", bytes,
		"concurrent_transfers", r.o.Concurrency)
	tr := progress.Start(r.d.Progress, string(StageUpload), int64(len(tasks)), bytes)
	defer tr.Finish()

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.o.Concurrency)
	for _, t := range tasks {
		if gctx.Err() != nil {
			break // a failure or a cancellation: start nothing more
		}
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err // g.Go waited for a slot while the stage was failing
			}
			info, err := r.uploadFile(gctx, t, tr)
			if err != nil {
				return err
			}
			r.plans[t.table].uploaded[t.slot] = manifestObject(info)
			tr.FileDone()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for ti := range r.plans {
		for _, t := range r.plans[ti].uploads {
			if t.reupload {
				r.res.FilesReuploaded++
			} else {
				r.res.FilesNew++
			}
		}
		r.res.FilesKept += len(r.plans[ti].kept)
	}
	r.res.BytesUploaded = bytes
	return nil
}

// uploadFile streams one snapshot file to its key.
func (r *run) uploadFile(ctx context.Context, t fileTask, tr *progress.Tracker) (storage.ObjectInfo, error) {
	src, err := storage.OpenFileSource(t.file.Path)
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("open %s: %w", t.file.Path, err)
	}
	defer src.Close()
	counted := progress.Count(src, tr)
	info, err := r.d.Storage.Put(ctx, t.key, counted)
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("upload %s to %s: %w", t.file.Path, t.key, err)
	}
	counted.Complete()
	info.Key = t.key // the manifest records the key written
	if info.Size != src.Size() {
		return storage.ObjectInfo{}, fmt.Errorf("upload %s to %s: the store reports %d bytes, the file has %d",
			t.file.Path, t.key, info.Size, src.Size())
	}
	r.d.Logger.Debug("Uploaded", "key", t.key, "size", info.Size)
	return info, nil
}
