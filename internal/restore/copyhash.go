package restore

import (
	"errors"
	"io"
)

// Parallel hashing of large downloads: the body is read and written to the
// file by the caller's goroutine while another one hashes the same bytes,
// so one download keeps two cores busy (reading plus writing costs about as
// much CPU as MD5). Small files take the plain path.
const (
	pipeMinSize = 8 << 20 // files from this size are hashed in parallel
	pipeBufSize = 1 << 20
	pipeBufs    = 4 // buffers in flight per file
)

// copyHashed copies src to dst, writing every byte also to hash (which
// sees them in order), and returns the bytes copied. Files of size below
// pipeMinSize are copied in one goroutine.
func copyHashed(dst, hash io.Writer, src io.Reader, size int64) (int64, error) {
	if size < pipeMinSize {
		return io.CopyBuffer(io.MultiWriter(dst, hash), src, make([]byte, pipeBufSize))
	}
	free := make(chan []byte, pipeBufs)
	for range pipeBufs {
		free <- make([]byte, pipeBufSize)
	}
	full := make(chan []byte, pipeBufs)
	hashed := make(chan struct{})
	go func() {
		defer close(hashed)
		for b := range full {
			hash.Write(b)
			free <- b[:cap(b)]
		}
	}()
	var total int64
	var err error
	for err == nil {
		buf := <-free
		var n int
		n, err = io.ReadFull(src, buf)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = io.EOF
		}
		if n == 0 {
			free <- buf
			continue
		}
		if _, werr := dst.Write(buf[:n]); werr != nil {
			err = werr
			free <- buf
			break
		}
		total += int64(n)
		full <- buf[:n]
	}
	close(full)
	<-hashed
	if err == io.EOF {
		err = nil
	}
	return total, err
}
