package restore

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sync/errgroup"

	"github.com/medusa-go/medusa/internal/progress"
	"github.com/medusa-go/medusa/internal/storage/checksum"
)

// fetched is one downloaded file and what was learned about it.
type fetched struct {
	Table Table
	File  File
	Path  string // local path
	Size  int64  // bytes written
	// Content is the hash of the bytes written, computed on the way in
	// the form of the manifest's hash (checksum.HasherFor): the hex MD5, or
	// the S3 multipart ETag with the likeliest part size.
	Content   string
	StoreSize int64  // as the store reports it (in the answer to the GET)
	StoreHash string // "" when the answer carries none
}

// download fetches every file of the plan into the download directory.
func (r *run) download(ctx context.Context) error {
	files, err := downloadPlan(ctx, r.d, r.p, r.staging, r.o.Concurrency)
	r.fetched = files
	return err
}

// downloadPlan streams every file of the restored tables into
// root/<keyspace>/<table dir>/, concurrency files at a time, computing each
// file's MD5 on the way, then writes manifest.json, schema.cql and
// tokenmap.json into root. Nothing is held in memory beyond a copy buffer
// per file in flight.
func downloadPlan(ctx context.Context, d *Deps, p *Plan, root string, concurrency int) ([]fetched, error) {
	type job struct {
		t Table
		f File
	}
	var jobs []job
	for _, t := range p.restoring() {
		dir := filepath.Join(root, t.Keyspace, t.Dir)
		if len(t.Files) == 0 {
			continue
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		for _, f := range t.Files {
			if sub := filepath.Dir(f.Rel); sub != "." {
				if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
					return nil, err
				}
			}
			jobs = append(jobs, job{t, f})
		}
	}
	d.Logger.Info(fmt.Sprintf("Downloading %d files (%s) of backup %s into %s", p.Files, progress.Bytes(p.Bytes), p.Backup, root))
	tr := progress.Start(d.Progress, string(StageDownload), int64(p.Files), p.Bytes)
	defer tr.Finish()
	out := make([]fetched, len(jobs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(concurrency, 1))
	sy := newSyncer()
	for i, j := range jobs {
		g.Go(func() error {
			f, err := fetchOne(gctx, d, j.t, j.f, filepath.Join(root, j.t.Keyspace, j.t.Dir, j.f.Rel), tr, sy)
			out[i] = f
			return err
		})
	}
	err := g.Wait()
	if serr := sy.wait(); err == nil {
		err = serr
	}
	if err != nil {
		return nil, err
	}
	for name, data := range map[string][]byte{"manifest.json": p.Manifest, "schema.cql": p.Schema, "tokenmap.json": p.Tokenmap} {
		if err := os.WriteFile(filepath.Join(root, name), data, 0o644); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// fetchOne downloads one object to path; sy makes the file durable.
func fetchOne(ctx context.Context, d *Deps, t Table, f File, path string, tr *progress.Tracker, sy *syncer) (fetched, error) {
	key := f.Object.Path
	res := fetched{Table: t, File: f, Path: path}
	// The store's size and hash of the object come with the stream, from
	// the answer to the GET: no Stat per file.
	body, info, err := d.Storage.Get(ctx, key, 0, -1)
	if err != nil {
		return res, fmt.Errorf("%s.%s: download %s: %w", t.Keyspace, t.Dir, key, err)
	}
	defer body.Close()
	res.StoreSize, res.StoreHash = info.Size, info.Hash
	if info.Size != f.Object.Size {
		return res, fmt.Errorf("object %s is %d bytes in storage but %d in the manifest: it changed since the backup",
			key, info.Size, f.Object.Size)
	}
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return res, err
	}
	want := ""
	if f.Object.MD5 != nil {
		want = *f.Object.MD5
	}
	h := checksum.HasherFor(want, f.Object.Size, checksum.PartSizeOf(d.Storage, f.Object.Size))
	n, err := copyHashed(io.MultiWriter(newWriteback(file), trackWriter{tr}), h, body, f.Object.Size)
	if err != nil {
		file.Close()
		return res, fmt.Errorf("download %s to %s: %w", key, path, err)
	}
	sy.syncAndClose(file)
	res.Size, res.Content = n, h.Sum()
	tr.FileDone()
	return res, nil
}

// syncer makes downloaded files durable (fsync, then close) in the
// background, a few at a time, so that the next download does not wait
// for the disk: with one file in flight, an fsync right after each
// download made every file wait for its own write-back. Each file is
// synced through the descriptor that wrote it, so a write-back error
// cannot go unreported. wait returns the first error.
type syncer struct {
	g errgroup.Group
}

func newSyncer() *syncer {
	s := &syncer{}
	s.g.SetLimit(16)
	return s
}

// syncAndClose syncs and closes file in the background (it blocks while
// 16 files are being synced).
func (s *syncer) syncAndClose(file *os.File) {
	s.g.Go(func() error {
		err := file.Sync()
		if cerr := file.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("sync %s: %w", file.Name(), err)
		}
		return nil
	})
}

// wait waits for every sync started and returns the first error.
func (s *syncer) wait() error { return s.g.Wait() }

// trackWriter counts written bytes into the download's progress.
type trackWriter struct{ t *progress.Tracker }

func (w trackWriter) Write(p []byte) (int, error) {
	w.t.AddBytes(int64(len(p)))
	return len(p), nil
}
