package commitlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/medusa-go/medusa/internal/atomicfile"
	"github.com/medusa-go/medusa/internal/storage"
)

// Syncer drains the spool into the bucket (medusa commitlog sync).
type Syncer struct {
	// Backend is rooted at the storage prefix (see Under).
	Backend storage.Backend
	FQDN    string
	Paths   Paths
	// HostID goes into the sidecars; "" = the one a backup recorded in
	// the spool (HostIDFile), if any.
	HostID        string
	MedusaVersion string
	Logger        *slog.Logger
	Now           func() time.Time
	// SweepAge: a CommitLog-*.log file in the commitlog directory older
	// than this, and not among the two newest, is a segment whose archive
	// failed; sync uploads it (and leaves the file). 0 = one minute.
	SweepAge time.Duration
	// NoSweep turns the sweep off.
	NoSweep bool
}

// SyncResult counts what one sync did.
type SyncResult struct {
	// Uploaded segments, Skipped ones already archived, Swept ones taken
	// from the commitlog directory.
	Uploaded, Skipped, Swept int
	// Bytes is the stored size of what was uploaded.
	Bytes int64
	// Left is the number of segments still spooled when the sync ended.
	Left int
	// Duplicates are spool files "<name>.dup-<sha8>" waiting for a person.
	Duplicates []string
}

// ErrSyncBusy: another sync holds the spool's lock.
var ErrSyncBusy = errors.New("another medusa commitlog sync is running on this spool")

type spooled struct {
	name  SegmentName
	path  string
	si    SpoolInfo
	swept bool
}

// Sync uploads every spooled segment, oldest first, removing each from the
// spool once its sidecar is stored; then sweeps the commitlog directory.
// On a store error it stops, leaving the rest spooled, and returns the
// error; a segment with a bad header or a conflict is left spooled and
// named in the returned error while the others go on.
func (s *Syncer) Sync(ctx context.Context) (SyncResult, error) {
	var res SyncResult
	if err := os.MkdirAll(s.Paths.SpoolDir, 0o750); err != nil {
		return res, fmt.Errorf("sync: create the spool %s: %w", s.Paths.SpoolDir, err)
	}
	unlock, err := lockSpool(s.Paths.SpoolDir)
	if err != nil {
		return res, err
	}
	defer unlock()
	segs, dups, err := s.readSpool()
	if err != nil {
		return res, err
	}
	res.Duplicates = dups
	for _, d := range dups {
		s.log().Error("A different segment of the same name was handed over twice; compare and remove one by hand",
			"file", filepath.Join(s.Paths.SpoolDir, d))
	}
	archived, err := s.archivedKeys(ctx)
	if err != nil {
		res.Left = len(segs)
		return res, fmt.Errorf("sync: %w; %d segment(s) stay spooled in %s", err, len(segs), s.Paths.SpoolDir)
	}
	if !s.NoSweep {
		segs = append(segs, s.sweep(segs, archived)...)
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i].name.ID < segs[j].name.ID })
	var bad []string
	prev := map[int64]SpoolInfo{}
	for i, sg := range segs {
		prev[sg.name.ID] = sg.si
		uploaded, skipped, err := s.syncOne(ctx, sg, prev, archived)
		if err != nil {
			if errors.Is(err, ErrBadHeader) || errors.Is(err, ErrConflict) {
				bad = append(bad, err.Error())
				s.log().Error("Segment not archived", "error", err)
				continue
			}
			res.Left = len(segs) - i
			return res, fmt.Errorf("sync: %w; %d segment(s) stay spooled in %s", err, countSpooled(segs[i:]), s.Paths.SpoolDir)
		}
		if skipped {
			res.Skipped++
		} else {
			res.Uploaded++
			res.Bytes += uploaded
			if sg.swept {
				res.Swept++
			}
		}
	}
	res.Left = len(bad)
	if len(bad) > 0 {
		return res, fmt.Errorf("sync: %d segment(s) could not be archived:\n%s", len(bad), strings.Join(bad, "\n"))
	}
	return res, nil
}

func countSpooled(segs []spooled) int {
	n := 0
	for _, s := range segs {
		if !s.swept {
			n++
		}
	}
	return n
}

func (s *Syncer) hostID() string {
	if s.HostID != "" {
		return s.HostID
	}
	return ReadHostID(s.Paths.SpoolDir)
}

// syncOne uploads one segment and, for a spooled one, removes it from the
// spool. prev holds the spool info of lower ids of this sync, archived the
// mtimes of the segments archived before it.
func (s *Syncer) syncOne(ctx context.Context, sg spooled, prev map[int64]SpoolInfo, archived map[string]int64) (int64, bool, error) {
	info := SegmentInfo{MtimeMs: sg.si.MtimeMs, JVMRun: sg.si.JVMRun, ArchivedAt: sg.si.ArchivedAt,
		HostID: s.hostID(), MedusaVersion: s.MedusaVersion, FirstWriteMs: sg.name.ID}
	if info.ArchivedAt.IsZero() {
		info.ArchivedAt = s.now().UTC()
	}
	// The previous segment of the run: spooled with this one (same run),
	// else archived before (ids are consecutive within a run, and a new run
	// starts at its start time in ms, far above the last run's ids).
	before := SegmentName{Version: sg.name.Version, ID: sg.name.ID - 1}
	if p, ok := prev[before.ID]; ok {
		if p.JVMRun != "" && p.JVMRun == sg.si.JVMRun {
			info.FirstWriteMs = p.MtimeMs
		}
	} else if ms, ok := archived[before.String()]; ok {
		info.FirstWriteMs = ms
	}
	p, err := prepare(ctx, sg.path, s.Paths.SpoolDir, info)
	if err != nil {
		return 0, false, err
	}
	defer p.close()
	skipped, err := store(ctx, s.Backend, s.FQDN, p)
	if err != nil {
		return 0, false, err
	}
	s.log().Debug("Segment archived", "segment", p.info.Name, "key", SegmentKey(s.FQDN, p.info), "skipped", skipped)
	if !sg.swept {
		if err := os.Remove(sg.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return 0, false, fmt.Errorf("remove %s from the spool: %w", sg.path, err)
		}
		os.Remove(sg.path + InfoSuffix)
		if err := atomicfile.SyncDir(s.Paths.SpoolDir); err != nil {
			return 0, false, err
		}
	}
	return p.info.StoredSize, skipped, nil
}

// readSpool returns the spooled segments and the names of duplicates.
func (s *Syncer) readSpool() ([]spooled, []string, error) {
	entries, err := os.ReadDir(s.Paths.SpoolDir)
	if err != nil {
		return nil, nil, fmt.Errorf("sync: read the spool %s: %w", s.Paths.SpoolDir, err)
	}
	var out []spooled
	var dups []string
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, ".") && strings.Contains(n, "CommitLog-") {
			s.removeStale(filepath.Join(s.Paths.SpoolDir, n))
			continue
		}
		if strings.Contains(n, ".dup-") && strings.HasPrefix(n, "CommitLog-") && !strings.HasSuffix(n, InfoSuffix) {
			dups = append(dups, n)
			continue
		}
		name, err := ParseSegmentName(n)
		if err != nil || !e.Type().IsRegular() {
			continue
		}
		sg := spooled{name: name, path: filepath.Join(s.Paths.SpoolDir, n)}
		if data, err := os.ReadFile(sg.path + InfoSuffix); err == nil {
			_ = json.Unmarshal(data, &sg.si)
		}
		if sg.si.MtimeMs == 0 {
			if st, err := os.Stat(sg.path); err == nil {
				sg.si.MtimeMs = st.ModTime().UnixMilli()
			}
		}
		out = append(out, sg)
	}
	return out, dups, nil
}

// staleTemp is the age after which a temporary file in the spool (a copy
// or compression cut short by a killed process) is removed.
const staleTemp = time.Hour

func (s *Syncer) removeStale(path string) {
	st, err := os.Stat(path)
	if err != nil || s.now().Sub(st.ModTime()) < staleTemp {
		return
	}
	if err := os.Remove(path); err == nil {
		s.log().Info("Removed a temporary file left in the spool by an interrupted run", "file", path)
	}
}

// archivedKeys lists the node's commitlogs/ once and returns the segment
// names that have a sidecar, with their mtimes.
func (s *Syncer) archivedKeys(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	dir := NodeDir(s.FQDN)
	for obj, err := range s.Backend.List(ctx, dir) {
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", dir, err)
		}
		if _, ms, name, kind, err := ParseKey(obj.Key); err == nil && kind == KindInfo {
			out[name.String()] = ms
		}
	}
	return out, nil
}

// sweep returns the commitlog directory's segments whose archive failed:
// older than SweepAge, not among the two newest ids (the segment being
// written and the one Cassandra keeps ready), neither spooled nor archived.
func (s *Syncer) sweep(spool []spooled, archived map[string]int64) []spooled {
	if s.Paths.CommitlogDir == "" {
		return nil
	}
	entries, err := os.ReadDir(s.Paths.CommitlogDir)
	if err != nil {
		s.log().Warn("Cannot look for segments whose archive failed", "dir", s.Paths.CommitlogDir, "error", err)
		return nil
	}
	inSpool := map[string]bool{}
	for _, sg := range spool {
		inSpool[sg.name.String()] = true
	}
	var all []spooled
	for _, e := range entries {
		name, err := ParseSegmentName(e.Name())
		if err == nil && e.Type().IsRegular() {
			all = append(all, spooled{name: name, path: filepath.Join(s.Paths.CommitlogDir, e.Name()), swept: true})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].name.ID < all[j].name.ID })
	if len(all) > 2 {
		all = all[:len(all)-2]
	} else {
		all = nil
	}
	age := s.SweepAge
	if age == 0 {
		age = time.Minute
	}
	var out []spooled
	for _, sg := range all {
		if _, done := archived[sg.name.String()]; done || inSpool[sg.name.String()] {
			continue
		}
		st, err := os.Stat(sg.path)
		if err != nil || s.now().Sub(st.ModTime()) < age {
			continue
		}
		sg.si.MtimeMs = st.ModTime().UnixMilli()
		s.log().Warn("Uploading a segment whose archive failed; the file stays for Cassandra", "segment", sg.path)
		out = append(out, sg)
	}
	return out
}

func lockSpool(dir string) (func(), error) {
	path := filepath.Join(dir, ".sync.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, fmt.Errorf("sync: lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (%s is locked)", ErrSyncBusy, path)
		}
		return nil, fmt.Errorf("sync: lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

func (s *Syncer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Syncer) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}
