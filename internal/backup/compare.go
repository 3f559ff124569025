package backup

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/progress"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/checksum"
)

// fileTask is one file to upload.
type fileTask struct {
	table    int // index in run.tables and run.plans
	slot     int // index in the table's uploads
	file     File
	key      string
	reupload bool // present in storage but not matching
}

// tablePlan is what happens to the files of one table.
type tablePlan struct {
	uploads  []fileTask      // new files first, then re-uploads (Medusa's order)
	kept     []layout.Object // reused from the pool
	uploaded []layout.Object // filled by the upload stage, in uploads order
}

// decision about one snapshot file.
type decision int

const (
	upload decision = iota
	reupload
	keep
	check // same-size candidates with hashes to compare
)

// choice is the decision about one snapshot file: for keep, the stored
// object reused; for check, the candidates whose hash decides.
type choice struct {
	d          decision
	obj        storage.ObjectInfo
	candidates []storage.ObjectInfo
}

// compare is stage compare: decide for every snapshot file whether it is
// uploaded, uploaded again or reused (the rule is in reuse.go and
// docs/differential-reuse.md). Full backups upload everything under
// P<fqdn>/<backup>/data/, except what an interrupted run of the same
// backup already stored. MD5 checks hash the candidate files with
// md5_check_concurrency workers.
func (r *run) compare(ctx context.Context) error {
	r.matches = loadHashCache(r.o.LockDir)
	// Hashes that are no MD5 of the content (SSE-KMS, SSE-C, an Azure
	// ETag) can never match a local file: the time rule decides alone.
	r.contentHashes = checksum.HashesAreContent(r.d.Storage)
	if r.o.MD5Checks && !r.contentHashes {
		r.d.Logger.Warn("MD5 checks cannot compare files with this bucket's hashes (server-side encryption " +
			"makes them other than MD5s of the content): files are reused by size and time only")
	}
	choices := make([][]choice, len(r.tables))
	var checks []fileRef
	for ti, t := range r.tables {
		prefix := r.l.TablePrefix(r.o.FQDN, r.dataBackup(), t.Keyspace, t.TableDir)
		choices[ti] = make([]choice, len(t.Files))
		for fi := range t.Files {
			c, err := r.decide(prefix+t.Files[fi].RelPath, &t.Files[fi])
			if err != nil {
				return err
			}
			choices[ti][fi] = c
			if c.d == check {
				checks = append(checks, fileRef{ti, fi, prefix + t.Files[fi].RelPath})
			}
		}
	}
	if err := r.checkHashes(ctx, checks, choices); err != nil {
		return err
	}
	if err := r.matches.save(); err != nil {
		r.d.Logger.Warn("Could not record the files matched by hash; the next backup reads them again",
			"error", err.Error())
	}
	r.plans = make([]tablePlan, len(r.tables))
	for ti, t := range r.tables {
		prefix := r.l.TablePrefix(r.o.FQDN, r.dataBackup(), t.Keyspace, t.TableDir)
		p := &r.plans[ti]
		for _, want := range []decision{upload, reupload} {
			for fi, f := range t.Files {
				if choices[ti][fi].d == want {
					p.uploads = append(p.uploads, fileTask{table: ti, slot: len(p.uploads), file: f,
						key: r.uploadKey(t, f, prefix+f.RelPath, want), reupload: want == reupload})
				}
			}
		}
		for fi := range t.Files {
			if c := choices[ti][fi]; c.d == keep {
				p.kept = append(p.kept, manifestObject(c.obj))
			}
		}
		p.uploaded = make([]layout.Object, len(p.uploads))
		if n := countReuploads(p.uploads); n > 0 {
			r.d.Logger.Info(fmt.Sprintf("Uploading %d files of %s.%s again because their stored copies "+
				"are not theirs (other content or older than the file)", n, t.Keyspace, t.TableDir))
		}
	}
	return nil
}

// dataBackup is the backup segment of data keys: "" for the pool.
func (r *run) dataBackup() string {
	if r.o.Mode == Differential {
		return ""
	}
	return r.o.Name
}

func countReuploads(tasks []fileTask) int {
	n := 0
	for _, t := range tasks {
		if t.reupload {
			n++
		}
	}
	return n
}

// fileRef points at one snapshot file.
type fileRef struct {
	table, file int
	key         string
}

// checkHashes hashes the candidate files with MD5Concurrency workers and
// turns each check into keep or reupload.
func (r *run) checkHashes(ctx context.Context, checks []fileRef, choices [][]choice) error {
	if len(checks) == 0 {
		return nil
	}
	var total int64
	for _, c := range checks {
		total += r.tables[c.table].Files[c.file].Size
	}
	tr := progress.Start(r.d.Progress, string(StageCompare), int64(len(checks)), total)
	defer tr.Finish()
	hash := hashFunc(r.d)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.o.MD5Concurrency)
	for _, c := range checks {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			f := r.tables[c.table].Files[c.file]
			src, err := storage.OpenFileSource(f.Path)
			if err != nil {
				return fmt.Errorf("hash %s: %w", f.Path, err)
			}
			defer src.Close()
			local, err := hash(gctx, progress.Count(src, tr))
			if err != nil {
				return fmt.Errorf("hash %s: %w", f.Path, err)
			}
			tr.FileDone()
			ch := &choices[c.table][c.file]
			if obj, ok := hashMatch(local, ch.candidates); ok {
				*ch = choice{d: keep, obj: obj}
				r.matches.remember(f.Path, obj)
			} else {
				*ch = choice{d: reupload}
			}
			return nil
		})
	}
	return g.Wait()
}

// manifestObject records an object as the store described it; an empty
// hash is written as null.
func manifestObject(info storage.ObjectInfo) layout.Object {
	o := layout.Object{Path: info.Key, Size: info.Size}
	if info.Hash != "" {
		h := info.Hash
		o.MD5 = &h
	}
	return o
}
