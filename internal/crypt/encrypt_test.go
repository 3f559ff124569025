package crypt

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
)

// TestSealedSourceSmallReads: an S3 client reads a body 32 KiB at a time,
// several parts at once and each part twice (to sign it, then to send it).
// Those reads, served from the reused chunk buffers, return the same bytes
// as one large read, whose chunks open to the content.
func TestSealedSourceSmallReads(t *testing.T) {
	plain := pattern(37*chunkSize + 12345)
	h, err := newHeader("k1", testKey(t))
	if err != nil {
		t.Fatal(err)
	}
	counted := &countingSource{Reader: bytes.NewReader(plain)}
	src := newSealedSource(counted, h)
	whole := make([]byte, src.Size())
	if n, err := src.ReadAt(whole, 0); n != len(whole) || (err != nil && err != io.EOF) {
		t.Fatalf("one read: %d of %d bytes, %v", n, len(whole), err)
	}
	var opened []byte
	for i := int64(0); i < src.n; i++ {
		from := HeaderSize + i*sealedSize
		c, err := h.open(nil, whole[from:min(from+sealedSize, int64(len(whole)))], i, i == src.n-1)
		if err != nil {
			t.Fatalf("chunk %d of the one read does not open: %v", i, err)
		}
		opened = append(opened, c...)
	}
	if !bytes.Equal(opened, plain) {
		t.Fatal("the opened chunks are not the content")
	}

	const parts = 6
	part := (src.Size() + parts - 1) / parts
	counted.reads.Store(0)
	var wg sync.WaitGroup
	errs := make(chan error, parts*2)
	for p := range int64(parts) {
		for pass := range 2 {
			wg.Go(func() {
				start, end := p*part, min((p+1)*part, src.Size())
				// 32 KiB reads, as net/http's body copy makes.
				var got bytes.Buffer
				r := struct{ io.Reader }{io.NewSectionReader(src, start, end-start)}
				if _, err := io.CopyBuffer(struct{ io.Writer }{&got}, r, make([]byte, 32<<10)); err != nil {
					errs <- fmt.Errorf("part %d pass %d: %w", p, pass, err)
				} else if !bytes.Equal(got.Bytes(), whole[start:end]) {
					errs <- fmt.Errorf("part %d pass %d: bytes differ from the one read", p, pass)
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Served from the cache, each pass reads a chunk's content once (the
	// two passes of a part run at once here, and the chunks at the part
	// boundaries are read by both neighbours); sealing per 32 KiB piece
	// would read about twice as often.
	if n, most := counted.reads.Load(), 2*src.n+4*parts; n > most {
		t.Errorf("the content was read %d times for %d chunks, want at most %d: the cache does not serve the pieces", n, src.n, most)
	}
}

// countingSource counts the reads of its content.
type countingSource struct {
	*bytes.Reader
	reads atomic.Int64
}

func (c *countingSource) ReadAt(p []byte, off int64) (int, error) {
	c.reads.Add(1)
	return c.Reader.ReadAt(p, off)
}
