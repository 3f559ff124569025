package restore

import (
	"bytes"
	"crypto/md5"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// failAfter is a writer that fails once it holds n bytes.
type failAfter struct {
	n   int
	buf bytes.Buffer
}

var errDiskFull = errors.New("disk full")

func (w *failAfter) Write(p []byte) (int, error) {
	if w.buf.Len()+len(p) > w.n {
		return 0, errDiskFull
	}
	return w.buf.Write(p)
}

func TestCopyHashed(t *testing.T) {
	t.Parallel()
	data := make([]byte, 3*pipeMinSize+12345)
	for i := range data {
		data[i] = byte(i * 7)
	}
	tests := []struct {
		name    string
		size    int
		src     func(r io.Reader) io.Reader
		failAt  int // dst fails past this many bytes (0: never)
		wantErr error
	}{
		{"small file, one goroutine", 1000, nil, 0, nil},
		{"large file", len(data), nil, 0, nil},
		{"large file read in tiny pieces", len(data), iotest.HalfReader, 0, nil},
		{"exactly one buffer", pipeBufSize, nil, 0, nil},
		{"empty", 0, nil, 0, nil},
		{"write fails", len(data), nil, pipeMinSize + 3, errDiskFull},
		{"read fails", len(data), func(r io.Reader) io.Reader {
			return io.MultiReader(io.LimitReader(r, pipeMinSize+5), iotest.ErrReader(io.ErrClosedPipe))
		}, 0, io.ErrClosedPipe},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var src io.Reader = bytes.NewReader(data[:tc.size])
			if tc.src != nil {
				src = tc.src(src)
			}
			dst := &failAfter{n: len(data) + 1}
			if tc.failAt > 0 {
				dst.n = tc.failAt
			}
			h := md5.New()
			n, err := copyHashed(dst, h, src, int64(tc.size))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			want := md5.Sum(data[:tc.size])
			if n != int64(tc.size) || !bytes.Equal(dst.buf.Bytes(), data[:tc.size]) || !bytes.Equal(h.Sum(nil), want[:]) {
				t.Errorf("copied %d of %d bytes, content equal %v, hash equal %v", n, tc.size,
					bytes.Equal(dst.buf.Bytes(), data[:tc.size]), bytes.Equal(h.Sum(nil), want[:]))
			}
		})
	}
}
