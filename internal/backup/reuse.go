package backup

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/checksum"
)

// The reuse rule (docs/differential-reuse.md). Cassandra never rewrites an
// SSTable component: a file is written once, under a name, and deleted.
// So a stored object can hold the bytes of a local file only if it was
// stored after the file was written: an object stored before the file's
// modification time was uploaded from another file of the same name (the
// node reused a generation number after a restore). A file is reused from
// a stored object when
//
//   - the object has the file's size, and
//   - with MD5 checks, its hash is the file's (the content decides), or
//     without them (or when the store reports no hash), the object was
//     stored at or after the file's modification time, or, when no
//     same-size object was, the file's hash is the object's (a restored
//     file: it is read once, not uploaded again).
//
// Content that matches no stored object is uploaded to the file's key if
// that key is free, else to a variant directory <table dir>.<tag> of the
// pool: a stored object is never overwritten, since older manifests may
// name it.

// candidateIndex groups stored objects by the key the file would have
// without variant directory, oldest first.
type candidateIndex map[string][]storage.ObjectInfo

// indexCandidates builds the index of a listing of the data prefix.
func indexCandidates(prefix string, objs map[string]storage.ObjectInfo) candidateIndex {
	idx := candidateIndex{}
	for key, o := range objs {
		k := baseKey(prefix, key)
		idx[k] = append(idx[k], o)
	}
	for _, objs := range idx {
		slices.SortFunc(objs, func(a, b storage.ObjectInfo) int {
			if c := a.ModTime.Compare(b.ModTime); c != 0 {
				return c
			}
			return strings.Compare(a.Key, b.Key)
		})
	}
	return idx
}

// baseKey removes the variant tag from the table directory of a key under
// prefix: P/<ks>/<table dir>.<tag>/<rest> → P/<ks>/<table dir>/<rest>.
func baseKey(prefix, key string) string {
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return key
	}
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) < 3 {
		return key
	}
	return prefix + parts[0] + "/" + layout.BaseTableDir(parts[1]) + "/" + parts[2]
}

// decide applies the part of the rule that needs no file content.
func (r *run) decide(key string, f *File) (choice, error) {
	candidates := r.candidates[key]
	if len(candidates) == 0 {
		return choice{d: upload}, nil
	}
	var same, hashed []storage.ObjectInfo
	for _, o := range candidates {
		if o.Size == f.Size {
			same = append(same, o)
			if r.contentHashes && checksum.Parse(o.Hash).IsContent() {
				hashed = append(hashed, o)
			}
		}
	}
	if r.o.MD5Checks && len(hashed) > 0 {
		return choice{d: check, candidates: hashed}, nil
	}
	if len(same) == 0 {
		return choice{d: reupload}, nil
	}
	mtime, err := f.modTime()
	if err != nil {
		return choice{}, err
	}
	for _, o := range same {
		if storedAfter(o.ModTime, mtime) {
			return choice{d: keep, obj: o}, nil
		}
	}
	if len(hashed) > 0 {
		// Written after every copy was stored (a restored file, or a new
		// file under a reused name): its content decides, unless an
		// earlier backup already matched this very file (hashcache.go).
		if o, ok := r.matches.lookup(f.Path, f, hashed); ok {
			return choice{d: keep, obj: o}, nil
		}
		return choice{d: check, candidates: hashed}, nil
	}
	return choice{d: reupload}, nil
}

// storedAfter reports whether an object stored at stored may hold a file
// last modified at mtime. Stores that report whole seconds (S3) truncate
// the time the upload began, so mtime is compared to the second then. An
// unknown store time proves nothing.
func storedAfter(stored, mtime time.Time) bool {
	if stored.IsZero() {
		return false
	}
	if stored.Nanosecond() == 0 {
		mtime = mtime.Truncate(time.Second)
	}
	return !mtime.After(stored)
}

// hashMatch returns the oldest candidate whose hash is local's.
func hashMatch(local string, candidates []storage.ObjectInfo) (storage.ObjectInfo, bool) {
	for _, o := range candidates {
		if checksum.Equal(local, o.Hash) {
			return o, true
		}
	}
	return storage.ObjectInfo{}, false
}

// modTime returns the file's modification time, read from disk unless
// the snapshot listing gave it.
func (f *File) modTime() (time.Time, error) {
	if f.ModTime.IsZero() {
		st, err := os.Stat(f.Path)
		if err != nil {
			return time.Time{}, fmt.Errorf("read modification time of %s: %w", f.Path, err)
		}
		f.ModTime = st.ModTime()
	}
	return f.ModTime, nil
}

// uploadKey is where a file's content is uploaded: its own key, unless a
// differential backup finds that key taken (by other content), then the
// first free variant directory of its table. A full backup writes under
// its own name only, where no other manifest points: it may replace what
// an interrupted run of the same backup stored.
func (r *run) uploadKey(t Table, f File, key string, d decision) string {
	if d != reupload || r.o.Mode != Differential {
		return key
	}
	if _, taken := r.pool[key]; !taken {
		return key
	}
	tag := "v" + strconv.FormatInt(r.res.Started.Unix(), 10)
	for n := 1; ; n++ {
		dir := layout.VariantTableDir(t.TableDir, tag)
		k := r.l.TablePrefix(r.o.FQDN, "", t.Keyspace, dir) + f.RelPath
		if _, taken := r.pool[k]; !taken {
			return k
		}
		tag = "v" + strconv.FormatInt(r.res.Started.Unix(), 10) + "-" + strconv.Itoa(n)
	}
}
