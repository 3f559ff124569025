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
	check // same size, hashes to compare
)

// compare is stage compare: decide for every snapshot file
// whether it is uploaded, uploaded again or reused. Full backups upload
// everything under P<fqdn>/<backup>/data/. Differential backups look the
// file up in the pool: absent → upload; other size → re-upload; same size
// → reuse, or with MD5 checks compare hashes first (md5_check_concurrency
// files hashed at once).
func (r *run) compare(ctx context.Context) error {
	backup := r.o.Name
	if r.o.Mode == Differential {
		backup = ""
	}
	decisions := make([][]decision, len(r.tables))
	var checks []fileRef
	for ti, t := range r.tables {
		prefix := r.l.TablePrefix(r.o.FQDN, backup, t.Keyspace, t.TableDir)
		decisions[ti] = make([]decision, len(t.Files))
		for fi, f := range t.Files {
			d := r.decide(prefix+f.RelPath, f)
			decisions[ti][fi] = d
			if d == check {
				checks = append(checks, fileRef{ti, fi, prefix + f.RelPath})
			}
		}
	}
	if err := r.checkHashes(ctx, checks, decisions); err != nil {
		return err
	}
	r.plans = make([]tablePlan, len(r.tables))
	for ti, t := range r.tables {
		prefix := r.l.TablePrefix(r.o.FQDN, backup, t.Keyspace, t.TableDir)
		p := &r.plans[ti]
		for _, want := range []decision{upload, reupload} {
			for fi, f := range t.Files {
				if decisions[ti][fi] == want {
					p.uploads = append(p.uploads, fileTask{table: ti, slot: len(p.uploads), file: f,
						key: prefix + f.RelPath, reupload: want == reupload})
				}
			}
		}
		for fi, f := range t.Files {
			if decisions[ti][fi] == keep {
				p.kept = append(p.kept, manifestObject(r.pool[prefix+f.RelPath]))
			}
		}
		p.uploaded = make([]layout.Object, len(p.uploads))
		if n := countReuploads(p.uploads); n > 0 {
			r.d.Logger.Info(fmt.Sprintf("Re-uploading %d files in %s.%s because their stored copies differ",
				n, t.Keyspace, t.TableDir))
		}
	}
	return nil
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

// decide applies the rule that needs no file content.
func (r *run) decide(key string, f File) decision {
	if r.o.Mode != Differential {
		return upload
	}
	obj, ok := r.pool[key]
	switch {
	case !ok:
		return upload
	case obj.Size != f.Size:
		return reupload
	case !r.o.MD5Checks || obj.Hash == "":
		// No hash to compare (local storage reports none): size only, as Medusa.
		return keep
	}
	return check
}

// checkHashes hashes the candidate files with MD5Concurrency workers and
// turns each check into keep or reupload.
func (r *run) checkHashes(ctx context.Context, checks []fileRef, decisions [][]decision) error {
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
			if checksum.Equal(local, r.pool[c.key].Hash) {
				decisions[c.table][c.file] = keep
			} else {
				decisions[c.table][c.file] = reupload
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
