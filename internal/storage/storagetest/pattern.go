package storagetest

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/medusa-go/medusa/internal/storage"
)

// Pattern is a deterministic, incompressible storage.Source of N bytes
// computed from the offset: it holds no buffer, so objects of any size can
// be uploaded and compared without loading them. Different seeds give
// different content.
type Pattern struct {
	N    int64
	Seed uint64
}

// Size implements storage.Source.
func (p Pattern) Size() int64 { return p.N }

// ReadAt implements io.ReaderAt.
func (p Pattern) ReadAt(b []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("pattern: negative offset %d", off)
	}
	if off >= p.N {
		return 0, io.EOF
	}
	n := len(b)
	if rest := p.N - off; int64(n) > rest {
		n = int(rest)
	}
	var word [8]byte
	for i := 0; i < n; {
		pos := off + int64(i)
		binary.LittleEndian.PutUint64(word[:], splitmix(uint64(pos/8)^p.Seed))
		i += copy(b[i:n], word[pos%8:])
	}
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

// Bytes returns the whole pattern; for small patterns only.
func (p Pattern) Bytes() []byte {
	b := make([]byte, p.N)
	_, _ = p.ReadAt(b, 0)
	return b
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// HexMD5 returns the hex MD5 of src (S3 single-part ETag, local backend).
func HexMD5(src storage.Source) string { return hex.EncodeToString(md5Of(src)) }

// Base64MD5 returns the base64 MD5 of src (GCS md5Hash, Azure Content-MD5).
func Base64MD5(src storage.Source) string {
	return base64.StdEncoding.EncodeToString(md5Of(src))
}

func md5Of(src storage.Source) []byte {
	h := md5.New()
	if _, err := io.Copy(h, io.NewSectionReader(src, 0, src.Size())); err != nil {
		panic(fmt.Sprintf("storagetest: reading source: %v", err))
	}
	return h.Sum(nil)
}

// countingSource records the total bytes read and the largest single
// ReadAt, and calls onRead (if set) after each read with the running total.
type countingSource struct {
	storage.Source
	total   atomic.Int64
	maxRead atomic.Int64
	onRead  func(total int64)
}

func (c *countingSource) ReadAt(b []byte, off int64) (int, error) {
	for {
		m := c.maxRead.Load()
		if int64(len(b)) <= m || c.maxRead.CompareAndSwap(m, int64(len(b))) {
			break
		}
	}
	n, err := c.Source.ReadAt(b, off)
	total := c.total.Add(int64(n))
	if c.onRead != nil {
		c.onRead(total)
	}
	return n, err
}
