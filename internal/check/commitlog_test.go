package check

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/commitlog"
)

const ours = "/usr/local/bin/medusa --config-file /etc/medusa/medusa.ini commitlog archive %path %name"

// clBed is a commit log directory with segments, a properties file and a
// spool, as a node has them.
func clBed(t *testing.T, archiveLine string, now time.Time) *Commitlog {
	t.Helper()
	dir := t.TempDir()
	cl := filepath.Join(dir, "commitlog")
	if err := os.MkdirAll(cl, 0o750); err != nil {
		t.Fatal(err)
	}
	// The running Cassandra started an hour ago: its segments have ids from then.
	start := now.Add(-time.Hour).UnixMilli()
	for i := int64(0); i < 2; i++ {
		writeCL(t, filepath.Join(cl, commitlog.SegmentName{Version: 8, ID: start + i}.String()), "x", now.Add(-time.Minute))
	}
	props := filepath.Join(dir, "conf", commitlog.PropertiesFile)
	writeCL(t, props, "# comment\narchive_command="+archiveLine+"\n", now.Add(-2*time.Hour))
	return &Commitlog{Enabled: true, ArchiveLine: ours, Now: func() time.Time { return now },
		Paths: commitlog.ResolvePaths(filepath.Join(dir, "conf", "cassandra.yaml"), cl, "", "", "")}
}

func writeCL(t *testing.T, path, body string, mtime time.Time) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

func runOne(t *testing.T, c *Commitlog, name string) Result {
	t.Helper()
	for _, ch := range c.Checks() {
		if ch.Name == name {
			return ch.Run(context.Background())
		}
	}
	t.Fatalf("no check %s", name)
	return Result{}
}

func wantCL(t *testing.T, r Result, status Status, parts ...string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("status %s, want %s: %s -> %s", r.Status, status, r.Detail, r.Fix)
	}
	for _, p := range parts {
		if !strings.Contains(r.Detail+" "+r.Fix, p) {
			t.Errorf("%q not in %s -> %s", p, r.Detail, r.Fix)
		}
	}
}

func TestCommitlogProperties(t *testing.T) {
	now := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	c := clBed(t, ours, now)
	wantCL(t, runOne(t, c, "commitlog/properties"), OK, "archive_command="+ours)

	c.ArchiveLine = "/opt/medusa --config-file /etc/medusa/medusa.ini commitlog archive %path %name"
	wantCL(t, runOne(t, c, "commitlog/properties"), WARN, "another medusa binary", "medusa commitlog enable")

	c = clBed(t, "", now)
	wantCL(t, runOne(t, c, "commitlog/properties"), FAIL, "no archive_command", "medusa commitlog enable", "restart Cassandra")

	c = clBed(t, "/bin/cp %path /backup/%name", now)
	wantCL(t, runOne(t, c, "commitlog/properties"), FAIL, "is not medusa's", "medusa commitlog enable")

	c = clBed(t, ours, now)
	os.Remove(c.Paths.PropertiesFile)
	wantCL(t, runOne(t, c, "commitlog/properties"), FAIL, "no such file", "medusa commitlog enable")

	// Changed after Cassandra's commit log began: a restart is due.
	c = clBed(t, ours, now)
	writeCL(t, c.Paths.PropertiesFile, "archive_command="+ours+"\n", now.Add(-10*time.Minute))
	wantCL(t, runOne(t, c, "commitlog/properties"), WARN, "may not be in effect", "restart Cassandra")

	c.PathsErr = errors.New("cassandra.yaml: no such file")
	wantCL(t, runOne(t, c, "commitlog/properties"), FAIL, "cassandra.yaml", "config_file")
}

func TestCommitlogDisabled(t *testing.T) {
	now := time.Now()
	c := clBed(t, ours, now)
	c.Enabled = false
	if n := len(c.Checks()); n != 1 {
		t.Errorf("%d checks with archiving disabled, want 1", n)
	}
	wantCL(t, runOne(t, c, "commitlog/properties"), WARN, "commitlog_archiving is false", "only grows", "medusa commitlog disable")
	c = clBed(t, "", now)
	c.Enabled = false
	if n := len(c.Checks()); n != 0 {
		t.Errorf("%d checks with archiving disabled and not set up, want none", n)
	}
}

func TestCommitlogSpool(t *testing.T) {
	now := time.Now()
	c := clBed(t, ours, now)
	wantCL(t, runOne(t, c, "commitlog/spool"), OK, "not created yet")
	wantCL(t, runOne(t, c, "commitlog/filesystem"), OK, "share a file system")

	seg := func(id int64, handed time.Time) {
		p := filepath.Join(c.Paths.SpoolDir, commitlog.SegmentName{Version: 8, ID: id}.String())
		writeCL(t, p, strings.Repeat("s", 1000), handed)
		writeCL(t, p+commitlog.InfoSuffix, `{"mtime_ms":1,"archived_at":"`+handed.UTC().Format(time.RFC3339Nano)+`"}`, handed)
	}
	seg(100, now.Add(-2*time.Minute))
	wantCL(t, runOne(t, c, "commitlog/spool"), OK, "1 segment(s)", "1000 B")
	seg(101, now.Add(-30*time.Minute))
	wantCL(t, runOne(t, c, "commitlog/spool"), WARN, "2 segment(s)", "30m0s ago", "medusa commitlog sync", "commitlog_sync_interval")
	c.BacklogAge = time.Hour
	wantCL(t, runOne(t, c, "commitlog/spool"), OK, "2 segment(s)")

	writeCL(t, filepath.Join(c.Paths.SpoolDir, "CommitLog-8-100.log.dup-0123abcd"), "d", now)
	wantCL(t, runOne(t, c, "commitlog/spool"), WARN, "1 duplicate", "by hand")

	b, err := commitlog.SpoolBacklog(c.Paths.SpoolDir)
	if err != nil || b.Segments != 2 || b.Bytes != 2000 || b.Duplicates != 1 || b.NewestName != "CommitLog-8-101.log" {
		t.Errorf("backlog %+v, %v", b, err)
	}

	if os.Geteuid() != 0 {
		if err := os.Chmod(c.Paths.SpoolDir, 0o550); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(c.Paths.SpoolDir, 0o750) })
		wantCL(t, runOne(t, c, "commitlog/spool"), FAIL, "not writable", "shared with Cassandra")
	}
}

func TestCommitlogFilesystem(t *testing.T) {
	c := clBed(t, ours, time.Now())
	// /dev/shm is a tmpfs on Linux, another file system than the test's.
	if _, err := os.Stat("/dev/shm"); err != nil {
		t.Skip("no /dev/shm")
	}
	c.Paths.SpoolDir = filepath.Join("/dev/shm", "medusa-test-spool-absent", "spool")
	if d1, _ := device("/dev/shm"); d1 == mustDevice(t, c.Paths.CommitlogDir) {
		t.Skip("the temp dir is on /dev/shm")
	}
	wantCL(t, runOne(t, c, "commitlog/filesystem"), WARN, "another file system", "copies each segment", "not created yet")
}

func mustDevice(t *testing.T, p string) uint64 {
	d, err := device(p)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestCommitlogClock(t *testing.T) {
	now := time.Now()
	c := clBed(t, ours, now)
	wantCL(t, runOne(t, c, "commitlog/clock"), OK, "not ahead")
	// The clock went back an hour and a half since Cassandra started.
	c.Now = func() time.Time { return now.Add(-90 * time.Minute) }
	wantCL(t, runOne(t, c, "commitlog/clock"), WARN, "ahead of the clock", "moved back", "chronyc")
	// Ids fine, but the segment was written in the future.
	c.Now = func() time.Time { return now.Add(-10 * time.Minute) }
	wantCL(t, runOne(t, c, "commitlog/clock"), WARN, "last written", "ahead of the clock")
	c.Paths.CommitlogDir = t.TempDir()
	wantCL(t, runOne(t, c, "commitlog/clock"), SKIP, "no segment")
}

func TestCommitlogBucket(t *testing.T) {
	now := time.Now()
	c := clBed(t, ours, now)
	wantCL(t, runOne(t, c, "commitlog/bucket"), SKIP, "storage")
	var archived commitlog.Archived
	var lerr error
	c.Archived = func(context.Context) (commitlog.Archived, error) { return archived, lerr }
	wantCL(t, runOne(t, c, "commitlog/bucket"), WARN, "no segment archived", "medusa commitlog sync")

	archived = commitlog.Archived{Count: 3, Newest: commitlog.SegmentName{Version: 8, ID: 7}, NewestMtime: now.Add(-5 * time.Minute)}
	wantCL(t, runOne(t, c, "commitlog/bucket"), OK, "3 segments archived", "CommitLog-8-7.log", "5m0s ago")

	// The spool holds a segment written 20 minutes after the newest archived one.
	p := filepath.Join(c.Paths.SpoolDir, "CommitLog-8-9.log")
	writeCL(t, p, "s", now.Add(15*time.Minute))
	wantCL(t, runOne(t, c, "commitlog/bucket"), WARN, "the bucket is behind", "CommitLog-8-9.log", "20m0s later")

	lerr = errors.New("list: access denied")
	wantCL(t, runOne(t, c, "commitlog/bucket"), FAIL, "access denied")
}
