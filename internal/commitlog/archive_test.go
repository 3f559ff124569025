package commitlog

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// writeSegment writes a segment file of size bytes with a valid header.
func writeSegment(t testing.TB, dir string, id int64, size int, fill byte) string {
	t.Helper()
	hdr, err := EncodeHeader(Header{Version: 7, ID: id})
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, size)
	copy(data, hdr)
	for i := len(hdr); i < size/2; i++ {
		data[i] = fill + byte(i%7)
	}
	path := filepath.Join(dir, SegmentName{7, id}.String())
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestArchiveIdempotent(t *testing.T) {
	t.Parallel()
	cl := t.TempDir()
	spool := filepath.Join(cl, DefaultSpoolName)
	path := writeSegment(t, cl, 1765000000123, 4096, 1)
	req := ArchiveRequest{Path: path, Name: filepath.Base(path), SpoolDir: spool, Now: time.Now(),
		JVMStartMs: 1765000000000, JVMPid: 42}
	for i := range 3 {
		if err := Archive(req); err != nil {
			t.Fatalf("archive #%d: %v", i+1, err)
		}
	}
	// Cassandra deleted the segment and a copy with the same content comes back (startup re-archive).
	data, _ := os.ReadFile(path)
	os.Remove(path)
	os.WriteFile(path, data, 0o644)
	if err := Archive(req); err != nil {
		t.Fatalf("archive of an identical copy: %v", err)
	}
	if got := names(t, spool); strings.Join(got, " ") != "CommitLog-7-1765000000123.log CommitLog-7-1765000000123.log.info" {
		t.Errorf("spool holds %v", got)
	}
	info, _ := os.ReadFile(filepath.Join(spool, "CommitLog-7-1765000000123.log.info"))
	if !strings.Contains(string(info), `"jvm_run":"1765000000000-42"`) {
		t.Errorf("info = %s, want the jvm run", info)
	}
	// A different file under the same name is kept beside it.
	os.Remove(path)
	writeSegment(t, cl, 1765000000123, 4096, 9)
	if err := Archive(req); err != nil {
		t.Fatalf("archive of a different segment: %v", err)
	}
	got := names(t, spool)
	if len(got) != 3 || !strings.HasPrefix(got[1], "CommitLog-7-1765000000123.log.dup-") {
		t.Errorf("spool holds %v, want a .dup- file", got)
	}
	// A segment older than the JVM (a leftover archived at startup) has no run.
	old := writeSegment(t, cl, 1764000000000, 4096, 3)
	req2 := req
	req2.Path, req2.Name = old, filepath.Base(old)
	if err := Archive(req2); err != nil {
		t.Fatal(err)
	}
	info, _ = os.ReadFile(filepath.Join(spool, filepath.Base(old)+InfoSuffix))
	if strings.Contains(string(info), "jvm_run") {
		t.Errorf("info of a leftover = %s, want no jvm run", info)
	}
}

func TestArchiveRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, req := range map[string]ArchiveRequest{
		"bad name": {Path: writeSegment(t, dir, 5, 100, 0), Name: "foo.log", SpoolDir: filepath.Join(dir, "s")},
		"missing":  {Path: filepath.Join(dir, "CommitLog-7-9.log"), Name: "CommitLog-7-9.log", SpoolDir: filepath.Join(dir, "s")},
		"dir":      {Path: dir, Name: "CommitLog-7-9.log", SpoolDir: filepath.Join(dir, "s")},
	} {
		if err := Archive(req); err == nil {
			t.Errorf("%s: Archive succeeded", name)
		}
	}
}

// BenchmarkArchive measures the archive hook's hand-off (link into the
// spool, .info, fsync) of a 64 KiB segment: the time Cassandra's single
// archiver thread waits per segment. Speed is a benchmark, not a timed
// test: fsync latency on a loaded CI machine says nothing of the code.
func BenchmarkArchive(b *testing.B) {
	cl := b.TempDir()
	spool := filepath.Join(cl, DefaultSpoolName)
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		path := writeSegment(b, cl, int64(1765000000000+i), 64<<10, byte(i))
		b.StartTimer()
		if err := Archive(ArchiveRequest{Path: path, Name: filepath.Base(path), SpoolDir: spool, Now: time.Now()}); err != nil {
			b.Fatal(err)
		}
	}
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}
