package commitlog

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/medusa-go/medusa/internal/atomicfile"
)

// SpoolInfo is <name>.info beside a spooled segment: what the archive
// command knew when Cassandra handed the segment over.
type SpoolInfo struct {
	MtimeMs    int64     `json:"mtime_ms"`
	ArchivedAt time.Time `json:"archived_at"`
	// JVMRun is the start of the Cassandra process that wrote the segment
	// ("<start ms>-<pid>"), empty when the segment is older than the process
	// (a leftover of an earlier run archived at startup) or unknown.
	JVMRun        string `json:"jvm_run,omitempty"`
	MedusaVersion string `json:"medusa_version,omitempty"`
}

// InfoSuffix ends the name of a spool info file.
const InfoSuffix = ".info"

// ArchiveRequest is one call of the archive command.
type ArchiveRequest struct {
	// Path and Name are Cassandra's %path and %name.
	Path, Name string
	// SpoolDir is the spool; created (0750) when missing.
	SpoolDir string
	// JVMStartMs and JVMPid describe the Cassandra process (the command's
	// parent); 0 when unknown.
	JVMStartMs    int64
	JVMPid        int
	MedusaVersion string
	Now           time.Time
	Logger        *slog.Logger
}

// Archive hands one closed segment to the spool: a hard link (a copy,
// fsynced, when the spool is on another file system or links are refused),
// then <name>.info, then an fsync of the spool directory. It is
// idempotent: a spooled file that is the same inode or has the same content
// is success. A different file already spooled under the name is kept, the
// new one is spooled as <name>.dup-<sha8> and an error is logged; that is
// still success, since the segment is safe. It returns an error only when
// the segment could not be spooled.
func Archive(req ArchiveRequest) error {
	name, err := ParseSegmentName(req.Name)
	if err != nil {
		return fmt.Errorf("archive %s: %w", req.Path, err)
	}
	st, err := os.Stat(req.Path)
	if err != nil {
		return fmt.Errorf("archive %s: %w", req.Path, err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("archive %s: not a regular file", req.Path)
	}
	if err := os.MkdirAll(req.SpoolDir, 0o750); err != nil {
		return fmt.Errorf("archive %s: create the spool directory: %w", req.Path, err)
	}
	dst := filepath.Join(req.SpoolDir, req.Name)
	if err := spoolFile(req, st, dst); err != nil {
		return err
	}
	info := SpoolInfo{MtimeMs: st.ModTime().UnixMilli(), ArchivedAt: req.Now.UTC(), MedusaVersion: req.MedusaVersion}
	if req.JVMStartMs > 0 && name.ID >= req.JVMStartMs {
		info.JVMRun = strconv.FormatInt(req.JVMStartMs, 10) + "-" + strconv.Itoa(req.JVMPid)
	}
	infoPath := dst + InfoSuffix
	if _, err := os.Stat(infoPath); err == nil {
		return atomicfile.SyncDir(req.SpoolDir) // spooled before: keep the first info
	}
	data, _ := json.Marshal(info)
	if err := atomicfile.WriteFile(infoPath, data, 0o640); err != nil {
		return fmt.Errorf("archive %s: %w", req.Path, err)
	}
	return nil
}

// spoolFile puts src at dst, idempotently (see Archive).
func spoolFile(req ArchiveRequest, st os.FileInfo, dst string) error {
	err := os.Link(req.Path, dst)
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, os.ErrExist):
		return spoolExisting(req, st, dst)
	case errors.Is(err, syscall.EXDEV), errors.Is(err, syscall.EPERM), errors.Is(err, syscall.EMLINK):
		return copyFile(req.Path, dst)
	}
	return fmt.Errorf("archive %s: link into the spool %s: %w", req.Path, req.SpoolDir, err)
}

func spoolExisting(req ArchiveRequest, st os.FileInfo, dst string) error {
	old, err := os.Stat(dst)
	if err != nil {
		return fmt.Errorf("archive %s: %w", req.Path, err)
	}
	if os.SameFile(st, old) {
		return nil
	}
	newSum, err := fileSHA256(req.Path)
	if err != nil {
		return fmt.Errorf("archive %s: %w", req.Path, err)
	}
	if old.Size() == st.Size() {
		oldSum, err := fileSHA256(dst)
		if err != nil {
			return fmt.Errorf("archive %s: %w", req.Path, err)
		}
		if oldSum == newSum {
			return nil
		}
	}
	dup := dst + ".dup-" + newSum[:8]
	if req.Logger != nil {
		req.Logger.Error("A different segment of the same name is already spooled; keeping both",
			"segment", req.Path, "spooled", dst, "kept_as", dup)
	}
	if _, err := os.Stat(dup); err == nil {
		return nil
	}
	if err := os.Link(req.Path, dup); err != nil {
		return copyFile(req.Path, dup)
	}
	return nil
}

// copyFile copies src to dst through a temporary file, fsynced, renamed.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("archive %s: %w", src, err)
	}
	defer in.Close()
	f, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return fmt.Errorf("archive %s: copy into the spool: %w", src, err)
	}
	tmp := f.Name()
	_, err = io.Copy(f, in)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("archive %s: copy into the spool: %w", src, err)
	}
	return nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ParentJVM returns the start time (ms since the epoch) and pid of the
// process' parent, read from /proc; zeros when unavailable. The archive
// command's parent is the Cassandra JVM.
func ParentJVM() (startMs int64, pid int) {
	pid = os.Getppid()
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0
	}
	// Fields after the command name (which may hold spaces) start at ")".
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 {
		return 0, 0
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 20 {
		return 0, 0
	}
	ticks, err := strconv.ParseInt(f[19], 10, 64) // field 22: starttime, in clock ticks since boot
	if err != nil {
		return 0, 0
	}
	bt, err := bootTime()
	if err != nil {
		return 0, 0
	}
	const clkTck = 100 // USER_HZ, 100 on every Linux architecture Cassandra runs on
	return bt*1000 + ticks*1000/clkTck, pid
}

func bootTime() (int64, error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, errors.New("no btime in /proc/stat")
}
