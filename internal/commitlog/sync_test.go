package commitlog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/local"
)

func localBackend(t *testing.T) storage.Backend {
	t.Helper()
	b, err := local.New(local.Options{BasePath: t.TempDir(), Bucket: "b", Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return Under(b, "tenant/")
}

func TestSyncListFetch(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	b := localBackend(t)
	cl := t.TempDir()
	paths := ResolvePaths("/etc/cassandra/cassandra.yaml", cl, "", "", "")
	now := time.Now()
	for i := range 4 {
		id := int64(1765000000100 + i)
		path := writeSegment(t, cl, id, 256<<10, byte(i))
		os.Chtimes(path, now, now.Add(time.Duration(i)*time.Second))
		if i == 2 {
			continue // its archive "failed": the sweep uploads it
		}
		if err := Archive(ArchiveRequest{Path: path, Name: filepath.Base(path), SpoolDir: paths.SpoolDir,
			Now: now, JVMStartMs: 1765000000000, JVMPid: 7}); err != nil {
			t.Fatal(err)
		}
	}
	// The two newest files are "active" and never swept; add two.
	writeSegment(t, cl, 1765000000200, 1024, 1)
	writeSegment(t, cl, 1765000000201, 1024, 1)
	s := &Syncer{Backend: b, FQDN: "n1", Paths: paths, HostID: "h", Now: func() time.Time { return now.Add(time.Hour) }}
	res, err := s.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Uploaded != 4 || res.Swept != 1 || res.Left != 0 {
		t.Errorf("sync = %+v, want 4 uploaded, 1 swept", res)
	}
	if got := names(t, paths.SpoolDir); len(got) != 0 {
		t.Errorf("spool after sync: %v", got)
	}
	// Again: the swept one stays in the commitlog dir but is already archived.
	if res, err := s.Sync(ctx); err != nil || res.Uploaded != 0 {
		t.Errorf("second sync = %+v, %v; want nothing uploaded", res, err)
	}
	segs, err := List(ctx, b, "n1")
	if err != nil {
		t.Fatal(err)
	}
	if len(segs) != 4 {
		t.Fatalf("List = %d segments, want 4", len(segs))
	}
	if segs[1].FirstWriteMs != segs[0].MtimeMs || segs[0].FirstWriteMs != segs[0].ID || segs[2].JVMRun != "" {
		t.Errorf("first write / run: %+v", segs)
	}
	if g := Gaps(segs); len(g) != 0 {
		t.Errorf("Gaps = %v", g)
	}
	dst := filepath.Join(t.TempDir(), segs[1].Name)
	if err := Fetch(ctx, b, "n1", segs[1], dst); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(dst)
	want, _ := os.ReadFile(filepath.Join(cl, segs[1].Name))
	if string(got) != string(want) {
		t.Error("fetched segment differs from the original")
	}
	sum := sha256.Sum256(want)
	if hex.EncodeToString(sum[:]) != segs[1].SHA256 || segs[1].Codec != CodecZstd || segs[1].StoredSize >= segs[1].RawSize {
		t.Errorf("sidecar %+v", segs[1])
	}
	// A sidecar lying about the content: Fetch refuses and leaves no file.
	bad := segs[0]
	bad.SHA256 = segs[1].SHA256
	dst2 := filepath.Join(t.TempDir(), bad.Name)
	if err := Fetch(ctx, b, "n1", bad, dst2); err == nil {
		t.Error("Fetch accepted a wrong SHA-256")
	}
	if _, err := os.Stat(dst2); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Fetch left %s after failing", dst2)
	}
	if left, err := RemoveFetchTemps(filepath.Dir(dst2)); err != nil || len(left) != 0 {
		t.Errorf("Fetch left temporary files: %v, %v", left, err)
	}
	os.WriteFile(filepath.Join(filepath.Dir(dst2), ".fetch-x-1"), nil, 0o644)
	if left, err := RemoveFetchTemps(filepath.Dir(dst2)); err != nil || len(left) != 1 {
		t.Errorf("RemoveFetchTemps = %v, %v; want the one left", left, err)
	}
}

// TestSyncStoreDown: the store fails; the segments stay spooled and the
// error says so; once it is back, the next sync uploads them.
func TestSyncStoreDown(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	b := localBackend(t)
	cl := t.TempDir()
	paths := ResolvePaths("/x/cassandra.yaml", cl, "", "", "")
	for i := range 3 {
		path := writeSegment(t, cl, int64(1765000000100+i), 8192, byte(i))
		if err := Archive(ArchiveRequest{Path: path, Name: filepath.Base(path), SpoolDir: paths.SpoolDir, Now: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	down := &failing{Backend: b}
	s := &Syncer{Backend: down, FQDN: "n1", Paths: paths, NoSweep: true}
	res, err := s.Sync(ctx)
	if err == nil || res.Left != 3 {
		t.Fatalf("sync with the store down = %+v, %v; want an error and 3 left", res, err)
	}
	if got := names(t, paths.SpoolDir); len(got) != 6 {
		t.Errorf("spool = %v, want 3 segments and their infos", got)
	}
	s.Backend = b
	if res, err := s.Sync(ctx); err != nil || res.Uploaded != 3 {
		t.Errorf("sync after = %+v, %v", res, err)
	}
}

type failing struct{ storage.Backend }

func (f *failing) Put(context.Context, string, storage.Source) (storage.ObjectInfo, error) {
	return storage.ObjectInfo{}, errors.New("connection refused")
}

// TestSyncAfterKilledHook: an archive command killed after its link but
// before its info file, and a copy cut short, leave a segment without info
// and a temporary file; sync uploads the segment (its file's mtime as the
// last write) and removes the old temporary file. The host id a backup
// recorded in the spool goes into the sidecar (its file is no segment).
func TestSyncAfterKilledHook(t *testing.T) {
	t.Parallel()
	b := localBackend(t)
	cl := t.TempDir()
	paths := ResolvePaths("/x/cassandra.yaml", cl, "", "", "")
	os.MkdirAll(paths.SpoolDir, 0o750)
	path := writeSegment(t, cl, 1765000000100, 8192, 1)
	if err := os.Link(path, filepath.Join(paths.SpoolDir, filepath.Base(path))); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(paths.SpoolDir, ".CommitLog-7-1765000000099.log.tmp-123")
	os.WriteFile(tmp, []byte("partial"), 0o640)
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(tmp, old, old)
	const hostID = "5b6962dd-3f90-4c93-8f61-eabfa4a803e2" // as a backup records it
	if err := WriteHostID(paths.SpoolDir, hostID); err != nil {
		t.Fatal(err)
	}
	s := &Syncer{Backend: b, FQDN: "n1", Paths: paths, NoSweep: true}
	res, err := s.Sync(t.Context())
	if err != nil || res.Uploaded != 1 {
		t.Fatalf("sync = %+v, %v", res, err)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temporary file kept: %v", err)
	}
	segs, _ := List(t.Context(), b, "n1")
	st, _ := os.Stat(path)
	if len(segs) != 1 || segs[0].MtimeMs != st.ModTime().UnixMilli() || segs[0].JVMRun != "" || segs[0].HostID != hostID {
		t.Errorf("archived %+v", segs)
	}
}

// TestSyncFirstWriteAcrossSyncs: the first segment of a sync takes as its
// first write the mtime of the previous segment archived by an earlier sync.
func TestSyncFirstWriteAcrossSyncs(t *testing.T) {
	t.Parallel()
	b := localBackend(t)
	cl := t.TempDir()
	paths := ResolvePaths("/x/cassandra.yaml", cl, "", "", "")
	s := &Syncer{Backend: b, FQDN: "n1", Paths: paths, NoSweep: true}
	mtimes := []time.Time{time.Now().Add(-time.Minute), time.Now()}
	for i, mt := range mtimes {
		path := writeSegment(t, cl, int64(1765000000100+i), 4096, byte(i))
		os.Chtimes(path, mt, mt)
		if err := Archive(ArchiveRequest{Path: path, Name: filepath.Base(path), SpoolDir: paths.SpoolDir,
			Now: time.Now(), JVMStartMs: 1765000000000, JVMPid: 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Sync(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	segs, err := List(t.Context(), b, "n1")
	if err != nil || len(segs) != 2 {
		t.Fatalf("List = %v, %v", segs, err)
	}
	if segs[1].FirstWriteMs != mtimes[0].UnixMilli() {
		t.Errorf("first write of the second segment = %d, want the first one's mtime %d", segs[1].FirstWriteMs, mtimes[0].UnixMilli())
	}
}
