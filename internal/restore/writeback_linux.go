//go:build linux

package restore

import (
	"os"

	"golang.org/x/sys/unix"
)

// writebackChunk is how much of a downloaded file is written before the
// kernel is asked to start writing it to disk.
const writebackChunk = 8 << 20

// writeback writes to a downloaded file and, every writebackChunk bytes,
// starts the kernel writing those pages to disk (sync_file_range with
// SYNC_FILE_RANGE_WRITE starts the I/O and does not wait for it). Without
// it the pages stay dirty until the fsync that ends every download (the
// kernel's own write-back starts only at 10% of memory dirty), so the disk
// idled while the network was busy and then the fsyncs wrote everything at
// the end. It is only a hint: the fsync still makes the file durable, and
// a failure here is ignored (that fsync reports any write error).
type writeback struct {
	f            *os.File
	off, started int64
}

func newWriteback(f *os.File) *writeback { return &writeback{f: f} }

func (w *writeback) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.off += int64(n)
	if w.off-w.started >= writebackChunk {
		_ = unix.SyncFileRange(int(w.f.Fd()), w.started, w.off-w.started, unix.SYNC_FILE_RANGE_WRITE)
		w.started = w.off
	}
	return n, err
}
