package commitlog

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"sort"
	"strings"

	"github.com/medusa-go/medusa/internal/storage"
)

// maxInfoSize bounds a sidecar read: a sidecar is a few hundred bytes.
const maxInfoSize = 1 << 20

// List returns the archived segments of fqdn, sorted by id: one LIST of
// <fqdn>/commitlogs/, then a read of each sidecar whose segment object is
// present. Objects that are not ours (unparsable keys) are ignored;
// segments without a sidecar are not archived and not returned. b is
// rooted at the storage prefix (see Under).
func List(ctx context.Context, b storage.Backend, fqdn string) ([]SegmentInfo, error) {
	dir := NodeDir(fqdn)
	objects := map[string]bool{}
	var infos []string
	for obj, err := range b.List(ctx, dir) {
		if err != nil {
			return nil, fmt.Errorf("list archived commit logs under %s: %w", dir, err)
		}
		f, _, _, kind, err := ParseKey(obj.Key)
		if err != nil || f != fqdn {
			continue
		}
		if kind == KindInfo {
			infos = append(infos, obj.Key)
		} else {
			objects[obj.Key] = true
		}
	}
	out := make([]SegmentInfo, 0, len(infos))
	for _, key := range infos {
		info, err := ReadInfo(ctx, b, key)
		if err != nil {
			return nil, err
		}
		if !objects[SegmentKey(fqdn, info)] {
			continue
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ID != out[j].ID {
			return out[i].ID < out[j].ID
		}
		return out[i].MtimeMs < out[j].MtimeMs
	})
	return out, nil
}

// ReadInfo reads and checks one sidecar.
func ReadInfo(ctx context.Context, b storage.Backend, key string) (SegmentInfo, error) {
	rc, _, err := b.Get(ctx, key, 0, -1)
	if err != nil {
		return SegmentInfo{}, fmt.Errorf("read commit log sidecar %s: %w", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxInfoSize))
	if err != nil {
		return SegmentInfo{}, fmt.Errorf("read commit log sidecar %s: %w", key, err)
	}
	var info SegmentInfo
	if err := json.Unmarshal(data, &info); err != nil {
		return SegmentInfo{}, fmt.Errorf("commit log sidecar %s is not valid JSON: %w", key, err)
	}
	_, mtime, name, _, err := ParseKey(key)
	if err != nil {
		return SegmentInfo{}, err
	}
	if info.SegmentName() != name || info.Name != name.String() || info.MtimeMs != mtime {
		return SegmentInfo{}, fmt.Errorf("commit log sidecar %s describes %s (mtime %d), not its key's segment",
			key, info.Name, info.MtimeMs)
	}
	if info.Codec != CodecZstd && info.Codec != CodecRaw {
		return SegmentInfo{}, fmt.Errorf("commit log sidecar %s: unknown codec %q", key, info.Codec)
	}
	return info, nil
}

// Gap is a hole in the archive: the segments with ids strictly between
// AfterID and BeforeID, written by one Cassandra run, are missing.
type Gap struct {
	AfterID  int64 `json:"after_id"`
	BeforeID int64 `json:"before_id"`
}

// String names the missing ids.
func (g Gap) String() string {
	if g.BeforeID-g.AfterID == 2 {
		return fmt.Sprintf("segment id %d is missing", g.AfterID+1)
	}
	return fmt.Sprintf("segment ids %d to %d are missing", g.AfterID+1, g.BeforeID-1)
}

// Gaps returns the holes in segs, by the planner's rule (Holes): ids are
// consecutive within a Cassandra run and a run's first id is its start
// time in milliseconds, so a jump to an id before the previous segment's
// last write is lost segments, a later one a restart. The run label of the
// archiving process (JVMRun) is not used: a run archives its crashed
// predecessor's tail at startup under its own label. `commitlog list`, the
// recoverable window and restore-node --pitr therefore agree on holes.
// segs need not be sorted nor unique by id.
func Gaps(segs []SegmentInfo) []Gap {
	var out []Gap
	for _, h := range Holes(dedupe(segs)) {
		out = append(out, Gap{AfterID: h.After.ID, BeforeID: h.Before.ID})
	}
	return out
}

// Runs splits segs (sorted by id) into the runs of consecutive ids.
func Runs(segs []SegmentInfo) [][]SegmentInfo {
	var out [][]SegmentInfo
	for i, s := range segs {
		if i == 0 || s.ID != segs[i-1].ID+1 {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], s)
	}
	return out
}

// Under returns b with prefix (the layout's KeyPrefix: "" or "<prefix>/")
// prepended to every key, and removed from listed keys, so that the
// prefix-relative keys of this package land where the backups are.
func Under(b storage.Backend, prefix string) storage.Backend {
	if prefix == "" {
		return b
	}
	return &under{Backend: b, p: prefix}
}

type under struct {
	storage.Backend
	p string
}

func (u *under) Put(ctx context.Context, key string, src storage.Source) (storage.ObjectInfo, error) {
	oi, err := u.Backend.Put(ctx, u.p+key, src)
	oi.Key = strings.TrimPrefix(oi.Key, u.p)
	return oi, err
}

func (u *under) Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, storage.ObjectInfo, error) {
	rc, oi, err := u.Backend.Get(ctx, u.p+key, off, n)
	oi.Key = strings.TrimPrefix(oi.Key, u.p)
	return rc, oi, err
}

func (u *under) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	oi, err := u.Backend.Stat(ctx, u.p+key)
	oi.Key = strings.TrimPrefix(oi.Key, u.p)
	return oi, err
}

func (u *under) List(ctx context.Context, prefix string) iter.Seq2[storage.ObjectInfo, error] {
	return func(yield func(storage.ObjectInfo, error) bool) {
		for oi, err := range u.Backend.List(ctx, u.p+prefix) {
			oi.Key = strings.TrimPrefix(oi.Key, u.p)
			if !yield(oi, err) {
				return
			}
		}
	}
}

func (u *under) Delete(ctx context.Context, key string) error { return u.Backend.Delete(ctx, u.p+key) }

func (u *under) DeleteMany(ctx context.Context, keys []string) error {
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = u.p + k
	}
	return u.Backend.DeleteMany(ctx, full)
}
