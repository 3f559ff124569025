// Command diskread is the benchmark's raw-read baseline: it reads every
// file of a list (the first tab-separated field of each line, as for
// sdkloop) from start to end, one file at a time, and throws the bytes
// away. With -direct it opens the files with O_DIRECT, which bypasses the
// page cache and so measures the device; without it the reads come from
// the page cache when the files are cached (the usual case right after
// Cassandra wrote them on a machine with free memory).
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

const bufSize = 4 << 20 // a multiple of any logical block size

func main() {
	list := flag.String("list", "", `file of "<local path>[\t...]" lines`)
	direct := flag.Bool("direct", false, "read with O_DIRECT (bypass the page cache)")
	flag.Parse()
	began := time.Now()
	n, bytes, err := readAll(*list, *direct)
	if err != nil {
		fmt.Fprintln(os.Stderr, "diskread:", err)
		os.Exit(1)
	}
	secs := time.Since(began).Seconds()
	fmt.Printf("diskread (direct=%v): %d files, %d bytes in %.2fs (%.1f MB/s)\n", *direct, n, bytes, secs, float64(bytes)/secs/1e6)
}

func readAll(list string, direct bool) (int, int64, error) {
	f, err := os.Open(list)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	buf := alignedBuffer(bufSize, 4096)
	var files int
	var total int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		path, _, _ := strings.Cut(sc.Text(), "\t")
		n, err := readFile(path, buf, direct)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: %w", path, err)
		}
		files++
		total += n
	}
	return files, total, sc.Err()
}

func readFile(path string, buf []byte, direct bool) (int64, error) {
	flags := os.O_RDONLY
	if direct {
		flags |= syscall.O_DIRECT
	}
	f, err := os.OpenFile(path, flags, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var total int64
	for {
		// With O_DIRECT the last read of a file may be short; every read
		// asks for a whole aligned buffer.
		n, err := f.Read(buf)
		total += int64(n)
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// alignedBuffer returns a size-byte slice whose start is aligned to align
// bytes, as O_DIRECT requires.
func alignedBuffer(size, align int) []byte {
	b := make([]byte, size+align)
	off := 0
	if rem := int(uintptr(unsafe.Pointer(&b[0])) % uintptr(align)); rem != 0 {
		off = align - rem
	}
	return b[off : off+size]
}
