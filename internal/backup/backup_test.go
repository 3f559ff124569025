package backup

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/progress"
	"github.com/medusa-go/medusa/internal/storage"
)

const fqdn = "node1.example.com"

// env is one node with a synthetic data directory and a local bucket.
type env struct {
	t       *testing.T
	cass    *fakeCassandra
	st      *store
	node    *fakeNode
	clock   *fakeClock
	prefix  string
	lockDir string
	l       layout.Layout
	// checkPrefix is Deps.CheckPrefix.
	checkPrefix func(context.Context, string) error
}

func newEnv(t *testing.T, prefix string) *env {
	e := &env{t: t, cass: newFakeCassandra(t), st: newStore(t), clock: newFakeClock(),
		prefix: prefix, lockDir: t.TempDir(), l: layout.New(prefix)}
	e.node = &fakeNode{tokenmap: tokenmapOf("node0.example.com", fqdn, "node2.example.com")}
	c := e.cass
	c.write("ks1", "users-1111", "nb-1-big-Data.db", "users data 1")
	c.write("ks1", "users-1111", "nb-1-big-Index.db", "users index 1")
	c.write("ks1", "users-1111", ".users_email_idx/nb-1-big-Data.db", "2i data 1")
	c.table("ks1", "empty-2222")
	c.write("ks2", "logs-3333", "nb-1-big-Data.db", "logs data 1")
	c.write("system_traces", "events-4444", "nb-1-big-Data.db", "traces")
	return e
}

func (e *env) deps() Deps {
	return Deps{Storage: e.st, Node: e.node, Snapshotter: e.cass, FindSnapshot: e.cass.find, Clock: e.clock,
		CheckPrefix: e.checkPrefix}
}

func (e *env) opts(name string, mode Mode) Options {
	return Options{Name: name, FQDN: fqdn, Prefix: e.prefix, Mode: mode, Concurrency: 2, LockDir: e.lockDir}
}

func (e *env) run(name string, mode Mode, mutate ...func(*Options)) (*Result, error) {
	e.t.Helper()
	o := e.opts(name, mode)
	for _, m := range mutate {
		m(&o)
	}
	return Run(e.t.Context(), e.deps(), o)
}

func (e *env) mustRun(name string, mode Mode, mutate ...func(*Options)) *Result {
	e.t.Helper()
	res, err := e.run(name, mode, mutate...)
	if err != nil {
		e.t.Fatalf("backup %s: %v", name, err)
	}
	return res
}

// manifest reads and parses meta/manifest.json of backup.
func (e *env) manifest(backup string) (layout.Manifest, string) {
	e.t.Helper()
	raw, ok := e.st.read(e.t, e.l.ManifestKey(fqdn, backup))
	if !ok {
		e.t.Fatalf("backup %s has no manifest", backup)
	}
	m, err := layout.UnmarshalManifest([]byte(raw))
	if err != nil {
		e.t.Fatal(err)
	}
	return m, raw
}

func stageOf(t *testing.T, err error) Stage {
	t.Helper()
	var se *StageError
	if !errors.As(err, &se) {
		t.Fatalf("error %v is not a *StageError", err)
	}
	if !strings.Contains(err.Error(), string(se.Stage)) {
		t.Fatalf("error %q does not name its stage %s", err, se.Stage)
	}
	return se.Stage
}

func TestFullThenDifferentialUploadsOnlyNewFiles(t *testing.T) {
	for _, prefix := range []string{"", "tenant1"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			e := newEnv(t, prefix)
			p := e.l.KeyPrefix() + fqdn

			res := e.mustRun("b1", Full)
			want := []string{
				p + "/b1/data/ks1/users-1111/.users_email_idx/nb-1-big-Data.db",
				p + "/b1/data/ks1/users-1111/nb-1-big-Data.db",
				p + "/b1/data/ks1/users-1111/nb-1-big-Index.db",
				p + "/b1/data/ks2/logs-3333/nb-1-big-Data.db",
			}
			if got := e.st.dataPuts(); !slices.Equal(got, want) {
				t.Fatalf("full backup wrote\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if res.FilesNew != 4 || res.FilesKept != 0 {
				t.Fatalf("full: new %d kept %d, want 4 and 0", res.FilesNew, res.FilesKept)
			}

			e.st.resetPuts()
			e.mustRun("b2", Differential)
			if got := e.st.dataPuts(); len(got) != 4 || !strings.HasPrefix(got[0], p+"/data/") {
				t.Fatalf("first differential backup wrote %v, want the 4 files in the pool", got)
			}

			e.cass.write("ks1", "users-1111", "nb-2-big-Data.db", "users data 2 (after flush)")
			e.st.resetPuts()
			res = e.mustRun("b3", Differential)
			want = []string{p + "/data/ks1/users-1111/nb-2-big-Data.db"}
			if got := e.st.dataPuts(); !slices.Equal(got, want) {
				t.Fatalf("second differential backup wrote %v, want only %v", got, want)
			}
			if res.FilesNew != 1 || res.FilesReuploaded != 0 || res.FilesKept != 4 {
				t.Fatalf("b3: new %d reuploaded %d kept %d, want 1 0 4", res.FilesNew, res.FilesReuploaded, res.FilesKept)
			}
		})
	}
}

func TestManifestAndIndexContents(t *testing.T) {
	for _, prefix := range []string{"", "tenant1"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			e := newEnv(t, prefix)
			p := e.l.KeyPrefix() + fqdn
			e.mustRun("b1", Differential)
			e.cass.write("ks1", "users-1111", "nb-2-big-Data.db", "users data 2")
			e.mustRun("b2", Differential)

			str := func(s string) *string { return &s }
			pool := p + "/data/"
			want := layout.Manifest{
				{Keyspace: "ks1", ColumnFamily: "empty-2222", Objects: []layout.Object{}},
				{Keyspace: "ks1", ColumnFamily: "users-1111", Objects: []layout.Object{
					// New upload first, with the hash the store reported...
					{Path: pool + "ks1/users-1111/nb-2-big-Data.db", MD5: str(md5Of("users data 2")), Size: 12},
					// ...then the reused files; local storage reports no hash for them.
					{Path: pool + "ks1/users-1111/.users_email_idx/nb-1-big-Data.db", Size: 9},
					{Path: pool + "ks1/users-1111/nb-1-big-Data.db", Size: 12},
					{Path: pool + "ks1/users-1111/nb-1-big-Index.db", Size: 13},
				}},
				{Keyspace: "ks2", ColumnFamily: "logs-3333", Objects: []layout.Object{
					{Path: pool + "ks2/logs-3333/nb-1-big-Data.db", Size: 11},
				}},
			}
			got, raw := e.manifest("b2")
			if raw != string(layout.MarshalManifest(want)) {
				t.Fatalf("manifest.json:\n%s\nwant:\n%s", raw, layout.MarshalManifest(want))
			}
			for _, s := range got {
				for _, o := range s.Objects {
					ref, err := e.l.ParseDataKey(o.Path)
					if err != nil || ref.FQDN != fqdn || !ref.Pool() || ref.TableDir != s.ColumnFamily {
						t.Errorf("manifest path %s parses to %+v, %v", o.Path, ref, err)
					}
				}
			}
			e.checkMeta("b2", true)
			e.checkIndex("b2", true)
		})
	}
}

// checkMeta verifies the meta files of backup.
func (e *env) checkMeta(backup string, differential bool) {
	t := e.t
	t.Helper()
	tm, _ := layout.MarshalTokenmap(e.node.tokenmap)
	for key, want := range map[string]string{
		e.l.SchemaKey(fqdn, backup):        testSchema,
		e.l.TokenmapKey(fqdn, backup):      string(tm),
		e.l.ServerVersionKey(fqdn, backup): `{"server_type": "cassandra", "release_version": "5.0.9"}`,
	} {
		if got, ok := e.st.read(t, key); !ok || got != want {
			t.Errorf("%s = %q (exists %v), want %q", key, got, ok, want)
		}
	}
	got, ok := e.st.read(t, e.l.DifferentialKey(fqdn, backup))
	if ok != differential || (ok && got != "differential") {
		t.Errorf("meta/differential = %q (exists %v), want exists %v", got, ok, differential)
	}
}

// checkIndex verifies the index entries and latest markers of backup.
func (e *env) checkIndex(backup string, differential bool) {
	t := e.t
	t.Helper()
	entries, ignored := e.l.ParseIndexKeys(e.st.keys(t, e.l.BackupIndexPrefix(backup)))
	if len(ignored) > 0 {
		t.Fatalf("index keys that do not parse: %v", ignored)
	}
	nodes := layout.NodeBackups(entries)
	if len(nodes) != 1 || nodes[0].FQDN != fqdn || !nodes[0].IsFinished() || nodes[0].Differential != differential {
		t.Fatalf("index node backups %+v, want one finished backup of %s", nodes, fqdn)
	}
	for _, c := range []struct {
		key   string
		epoch *int64
	}{{e.l.SchemaKey(fqdn, backup), nodes[0].Started}, {e.l.ManifestKey(fqdn, backup), nodes[0].Finished}} {
		info, err := e.st.Stat(t.Context(), c.key)
		if err != nil || *c.epoch != info.ModTime.Unix() {
			t.Errorf("index epoch %d, want LastModified of %s (%v, %v)", *c.epoch, c.key, info.ModTime.Unix(), err)
		}
	}
	manifest, _ := e.st.read(t, e.l.ManifestKey(fqdn, backup))
	if got, _ := e.st.read(t, nodes[0].ManifestKey); got != manifest {
		t.Errorf("index manifest_ entry differs from meta/manifest.json")
	}
	if got, _ := e.st.read(t, e.l.LatestBackupNameKey(fqdn)); got != backup {
		t.Errorf("latest backup_name.txt = %q, want %q", got, backup)
	}
}

func TestFullBackupLayout(t *testing.T) {
	e := newEnv(t, "tenant1")
	e.mustRun("b1", Full)
	m, _ := e.manifest("b1")
	var paths []string
	for _, s := range m {
		for _, o := range s.Objects {
			paths = append(paths, o.Path)
			if o.MD5 == nil || len(*o.MD5) != 32 {
				t.Errorf("%s: MD5 %v, want the hex MD5 local storage reports for uploads", o.Path, o.MD5)
			}
			if ref, err := e.l.ParseDataKey(o.Path); err != nil || ref.Backup != "b1" {
				t.Errorf("%s parses to %+v, %v; want a data key of backup b1", o.Path, ref, err)
			}
		}
	}
	if len(paths) != 4 || len(m) != 3 {
		t.Fatalf("manifest has %d sections and paths %v; want 3 sections, 4 files", len(m), paths)
	}
	for _, p := range paths {
		if strings.Contains(p, "system_traces") || strings.HasSuffix(p, "manifest.json") || strings.HasSuffix(p, "schema.cql") {
			t.Errorf("manifest lists %s, which is never backed up", p)
		}
	}
	e.checkMeta("b1", false)
	e.checkIndex("b1", false)
	if !slices.Equal(e.cass.cleared, []string{"medusa-b1"}) || e.cass.snapshotExists("medusa-b1") {
		t.Errorf("snapshot medusa-b1 not cleared (cleared: %v)", e.cass.cleared)
	}
	if _, err := os.Stat(filepath.Join(e.lockDir, MarkerName)); !os.IsNotExist(err) {
		t.Errorf("in-progress marker left behind: %v", err)
	}
}

func TestFailuresLeaveNoFinishedBackup(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(e *env)
		wantStage Stage
	}{
		{"upload fails", func(e *env) { e.st.failKey = "logs-3333/nb-1-big-Data.db" }, StageUpload},
		{"snapshot command fails", func(e *env) { e.cass.failErr = errors.New("nodetool: connection refused") }, StageSnapshot},
		{"manifest write fails", func(e *env) { e.st.failKey = "meta/manifest.json" }, StageManifest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, "")
			tc.setup(e)
			_, err := e.run("b1", Full)
			if err == nil {
				t.Fatal("backup succeeded")
			}
			if got := stageOf(t, err); got != tc.wantStage {
				t.Fatalf("failed in stage %s (%v), want %s", got, err, tc.wantStage)
			}
			if _, ok := e.st.read(t, e.l.ManifestKey(fqdn, "b1")); ok && tc.wantStage != StageManifest {
				t.Error("manifest.json written for a failed backup")
			}
			for _, k := range e.st.keys(t, e.l.IndexPrefix()) {
				if strings.Contains(k, "finished_") || strings.Contains(k, "latest_backup") {
					t.Errorf("index entry %s written for a failed backup", k)
				}
			}
			if !slices.Contains(e.cass.cleared, "medusa-b1") || e.cass.snapshotExists("medusa-b1") {
				t.Errorf("snapshot not cleared after the failure (cleared: %v)", e.cass.cleared)
			}
		})
	}
}

func TestExistingBackupIsRefused(t *testing.T) {
	e := newEnv(t, "")
	e.mustRun("b1", Full)
	e.st.resetPuts()
	_, err := e.run("b1", Differential)
	if !errors.Is(err, ErrAlreadyExists) || stageOf(t, err) != StageCheck {
		t.Fatalf("second backup b1: %v, want ErrAlreadyExists in stage check-exists", err)
	}
	if !strings.Contains(err.Error(), "Backup b1 already exists") {
		t.Errorf("message %q lacks Medusa's wording", err)
	}
	if len(e.st.puts) != 0 || len(e.cass.taken) != 1 {
		t.Fatalf("refused backup wrote %v and took snapshots %v", e.st.puts, e.cass.taken)
	}
}

func TestCancellationStopsUploadsWithoutManifest(t *testing.T) {
	e := newEnv(t, "")
	ctx, cancel := context.WithCancel(t.Context())
	var once sync.Once
	e.st.block = func(pctx context.Context) {
		once.Do(cancel) // cancelled while the first file uploads
		<-pctx.Done()
	}
	o := e.opts("b1", Full)
	o.Concurrency = 1
	_, err := Run(ctx, e.deps(), o)
	if !errors.Is(err, context.Canceled) || stageOf(t, err) != StageUpload {
		t.Fatalf("Run = %v, want context.Canceled in stage upload", err)
	}
	if got := e.st.dataPuts(); len(got) != 1 {
		t.Errorf("data writes after cancellation: %v, want only the one in flight", got)
	}
	if _, ok := e.st.read(t, e.l.ManifestKey(fqdn, "b1")); ok {
		t.Error("manifest.json written after cancellation")
	}
	if !slices.Contains(e.cass.cleared, "medusa-b1") {
		t.Error("snapshot not cleared after cancellation")
	}
}

func TestMD5ChecksDecideReuse(t *testing.T) {
	tests := []struct {
		name       string
		md5Checks  bool
		listHashes bool // the store reports hashes in listings (S3, GCS, Azure); local does not
		reupload   bool
	}{
		{"same size, other content, checks on: re-upload", true, true, true},
		{"same size, other content, checks off: reuse", false, true, false},
		{"store reports no hash: size only even with checks", true, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, "")
			e.mustRun("b1", Differential)
			key := e.l.PoolPrefix(fqdn) + "ks2/logs-3333/nb-1-big-Data.db"
			if _, err := e.st.Backend.Put(t.Context(), key, strings.NewReader("LOGS DATA 1")); err != nil {
				t.Fatal(err)
			}
			e.st.listHash = tc.listHashes
			e.st.resetPuts()
			res := e.mustRun("b2", Differential, func(o *Options) { o.MD5Checks = tc.md5Checks; o.MD5Concurrency = 3 })
			got := e.st.dataPuts()
			// The key is taken: a re-upload goes to a variant directory,
			// the stored object is never overwritten.
			variant := e.l.PoolPrefix(fqdn) + "ks2/logs-3333.v" + strconv.FormatInt(e.clock.Now().Unix(), 10) +
				"/nb-1-big-Data.db"
			if tc.reupload != slices.Equal(got, []string{variant}) || (!tc.reupload && len(got) != 0) {
				t.Fatalf("uploads %v, want re-upload to %s: %v", got, variant, tc.reupload)
			}
			if tc.reupload != (res.FilesReuploaded == 1) || res.FilesKept+res.FilesReuploaded != 4 {
				t.Fatalf("reuploaded %d kept %d", res.FilesReuploaded, res.FilesKept)
			}
			if content, _ := e.st.read(t, key); content != "LOGS DATA 1" {
				t.Fatalf("pool object content %q after backup, want it untouched", content)
			}
			m, _ := e.manifest("b2")
			obj := m[2].Objects[0]
			want := key
			if tc.reupload {
				want = variant
			}
			if obj.Path != want {
				t.Errorf("manifest names %s, want %s", obj.Path, want)
			}
			if tc.listHashes && (obj.MD5 == nil || *obj.MD5 != fileMD5(filepath.Join(e.st.root, want))) {
				t.Errorf("manifest MD5 %v, want the stored object's hash", obj.MD5)
			}
		})
	}
}

func TestExpectedHashCapabilityIsUsed(t *testing.T) {
	e := newEnv(t, "")
	e.mustRun("b1", Differential)
	e.st.listHash = true
	var calls int
	var mu sync.Mutex
	d := e.deps()
	d.ExpectedHash = func(ctx context.Context, src storage.Source) (string, error) {
		mu.Lock()
		calls++
		mu.Unlock()
		return "0123456789abcdef0123456789abcdef-2", nil // never the listed plain MD5
	}
	o := e.opts("b2", Differential)
	o.MD5Checks = true
	res, err := Run(t.Context(), d, o)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 4 || res.FilesReuploaded != 4 {
		t.Fatalf("ExpectedHash called %d times, %d re-uploads; want 4 and 4", calls, res.FilesReuploaded)
	}
}

func TestSnapshotOptions(t *testing.T) {
	t.Run("keep snapshot", func(t *testing.T) {
		e := newEnv(t, "")
		res := e.mustRun("b1", Full, func(o *Options) { o.KeepSnapshot = true })
		if len(e.cass.cleared) != 0 || !e.cass.snapshotExists("medusa-b1") || !res.SnapshotKept {
			t.Fatalf("snapshot cleared %v despite KeepSnapshot", e.cass.cleared)
		}
	})
	t.Run("existing snapshot missing", func(t *testing.T) {
		e := newEnv(t, "")
		_, err := e.run("mysnap", Full, func(o *Options) { o.UseExistingSnapshot = true })
		if err == nil || stageOf(t, err) != StageCheck || !strings.Contains(err.Error(), "does not exist") {
			t.Fatalf("Run = %v, want a check-exists error about the missing snapshot", err)
		}
		if len(e.st.puts) != 0 {
			t.Fatalf("wrote %v", e.st.puts)
		}
	})
	t.Run("existing snapshot named exactly like the backup", func(t *testing.T) {
		e := newEnv(t, "")
		if err := e.cass.Create(t.Context(), "mysnap"); err != nil {
			t.Fatal(err)
		}
		res := e.mustRun("mysnap", Full, func(o *Options) { o.UseExistingSnapshot = true })
		if res.Snapshot != "mysnap" || len(e.cass.taken) != 1 || res.FilesNew != 4 {
			t.Fatalf("snapshot %s, taken %v, %d files", res.Snapshot, e.cass.taken, res.FilesNew)
		}
		if !slices.Equal(e.cass.cleared, []string{"mysnap"}) {
			t.Fatalf("cleared %v, want mysnap (Medusa clears it unless --keep-snapshot)", e.cass.cleared)
		}
	})
	t.Run("leftover snapshot with the medusa tag is reused", func(t *testing.T) {
		e := newEnv(t, "")
		if err := e.cass.Create(t.Context(), "medusa-b1"); err != nil {
			t.Fatal(err)
		}
		e.mustRun("b1", Full)
		if len(e.cass.taken) != 1 {
			t.Fatalf("snapshots taken: %v, want only the leftover one", e.cass.taken)
		}
	})
	t.Run("empty snapshot fails", func(t *testing.T) {
		e := &env{t: t, cass: newFakeCassandra(t), st: newStore(t), clock: newFakeClock(), lockDir: t.TempDir()}
		e.node = &fakeNode{tokenmap: tokenmapOf(fqdn)}
		_, err := e.run("b1", Full)
		if err == nil || stageOf(t, err) != StageSnapshot {
			t.Fatalf("Run = %v, want a snapshot stage error", err)
		}
	})
}

func TestSecondBackupOnTheNodeIsRefused(t *testing.T) {
	e := newEnv(t, "")
	lock, err := lockMarker(e.lockDir)
	if err != nil {
		t.Fatal(err)
	}
	unlock := lock.release
	_, err = e.run("b1", Full)
	if !errors.Is(err, ErrInProgress) || stageOf(t, err) != StageLock {
		t.Fatalf("Run while locked = %v, want ErrInProgress", err)
	}
	unlock()
	if _, err := os.Stat(filepath.Join(e.lockDir, MarkerName)); !os.IsNotExist(err) {
		t.Fatalf("marker still there after unlock: %v", err)
	}
	// A marker left behind by a crashed process does not block.
	if err := os.WriteFile(filepath.Join(e.lockDir, MarkerName), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	e.mustRun("b1", Full)
}

func TestUploadsRunAcrossTablesInManifestOrder(t *testing.T) {
	e := &env{t: t, cass: newFakeCassandra(t), st: newStore(t), clock: newFakeClock(), lockDir: t.TempDir()}
	e.node = &fakeNode{tokenmap: tokenmapOf(fqdn)}
	e.cass.write("ks1", "a-1", "nb-1-big-Data.db", "aaaa")
	e.cass.write("ks1", "b-2", "nb-1-big-Data.db", "bbbbbb")
	var mu sync.Mutex
	inflight, maxInflight := 0, 0
	both := make(chan struct{})
	e.st.block = func(ctx context.Context) {
		mu.Lock()
		inflight++
		maxInflight = max(maxInflight, inflight)
		if inflight == 2 {
			close(both)
		}
		mu.Unlock()
		select { // both tables' files must be in flight together
		case <-both:
		case <-time.After(30 * time.Second):
		}
		mu.Lock()
		inflight--
		mu.Unlock()
	}
	rec := &recorder{}
	d := e.deps()
	d.Progress = rec
	if _, err := Run(t.Context(), d, e.opts("b1", Full)); err != nil {
		t.Fatal(err)
	}
	if maxInflight != 2 {
		t.Fatalf("at most %d uploads in flight, want 2 (one per table)", maxInflight)
	}
	m, _ := e.manifest("b1")
	if len(m) != 2 || m[0].ColumnFamily != "a-1" || m[1].ColumnFamily != "b-2" || m[1].Objects[0].Size != 6 {
		t.Fatalf("manifest %+v, want sections a-1 then b-2", m)
	}
	last := rec.last(string(StageUpload))
	if last.Kind != progress.StageFinished || last.FilesDone != 2 || last.BytesDone != 10 || last.BytesTotal != 10 {
		t.Fatalf("last upload progress event %+v, want 2 files and 10 bytes done", last)
	}
}

// recorder keeps progress events.
type recorder struct {
	mu     sync.Mutex
	events []progress.Event
}

func (r *recorder) Report(e progress.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) last(stage string) progress.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.events) - 1; i >= 0; i-- {
		if r.events[i].Stage == stage {
			return r.events[i]
		}
	}
	return progress.Event{}
}
