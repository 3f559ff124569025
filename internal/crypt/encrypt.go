package crypt

import (
	"fmt"
	"io"
	"sync"

	"github.com/medusa-go/medusa/internal/storage"
)

// sealedSource is the ciphertext of a plaintext Source, itself a Source:
// a backend may read any range of it, concurrently and more than once
// (multipart parts, retries), and gets the same bytes each time, since
// the data key and nonce prefix are fixed for the object. Chunks are
// sealed on demand. Reads smaller than a chunk (an S3 client reads 32 KiB
// at a time) are served from a few recently sealed chunks, so a chunk is
// sealed once per pass; the chunk buffers are reused, not allocated per
// chunk, which kept the garbage collector busy.
type sealedSource struct {
	src   storage.Source
	h     *header
	plain int64
	n     int64 // chunks

	mu sync.Mutex
	// cache holds the chunks last sealed, copied out under mu (a buffer
	// is reused once evicted). Each reader (a part in flight) needs one
	// slot to read its chunk in pieces: 16 serve multipart_max_concurrency
	// up to 16 without sealing a chunk twice in a pass.
	cache [16]cachedChunk
	tick  uint64
}

type cachedChunk struct {
	i    int64
	used uint64
	data []byte
}

// chunkPool holds sealed-chunk buffers (sealedSize bytes) between objects.
var chunkPool = sync.Pool{New: func() any { b := make([]byte, 0, sealedSize); return &b }}

func newSealedSource(src storage.Source, h *header) *sealedSource {
	s := &sealedSource{src: src, h: h, plain: src.Size(), n: chunks(src.Size())}
	for i := range s.cache {
		s.cache[i].i = -1
	}
	return s
}

// Size implements storage.Source.
func (s *sealedSource) Size() int64 { return CiphertextSize(s.plain) }

// ReadAt implements io.ReaderAt.
func (s *sealedSource) ReadAt(p []byte, off int64) (int, error) {
	size := s.Size()
	if off < 0 {
		return 0, fmt.Errorf("read encrypted object at %d: negative offset", off)
	}
	if off >= size {
		if len(p) == 0 && off == size {
			return 0, nil
		}
		return 0, io.EOF
	}
	done := 0
	for done < len(p) && off < size {
		if k, err := s.sealInto(p[done:], off); err != nil {
			return done, err
		} else if k > 0 {
			done += k
			off += int64(k)
			continue
		}
		var k int
		if off < HeaderSize {
			k = copy(p[done:], s.h.raw[off:])
		} else {
			i := (off - HeaderSize) / sealedSize
			var err error
			if k, err = s.copyChunk(p[done:], i, (off-HeaderSize)-i*sealedSize); err != nil {
				return done, err
			}
		}
		done += k
		off += int64(k)
	}
	if done < len(p) {
		return done, io.EOF
	}
	return done, nil
}

// sealInto is the fast path of large reads that start at a chunk: it
// reads the content of as many whole chunks as p holds in one read, moves
// each to its place and seals it in place, without copies or the cache.
// It returns 0 when off is not at a chunk or p holds no whole chunk.
func (s *sealedSource) sealInto(p []byte, off int64) (int, error) {
	if off < HeaderSize || (off-HeaderSize)%sealedSize != 0 {
		return 0, nil
	}
	first := (off - HeaderSize) / sealedSize
	k := min(int64(len(p))/sealedSize, s.n-first)
	if k == 0 {
		return 0, nil
	}
	start := first * chunkSize
	plain := min(k*chunkSize, s.plain-start)
	if r, err := s.src.ReadAt(p[:plain], start); r < int(plain) {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, fmt.Errorf("read content to encrypt at %d: %w", start, err)
	}
	total := 0
	for j := k - 1; j >= 0; j-- {
		from := j * chunkSize
		n := min(chunkSize, plain-from)
		to := j * sealedSize
		copy(p[to:to+n], p[from:from+n])
		i := first + j
		s.h.seal(p[to:to], p[to:to+n], i, i == s.n-1)
		total += int(n) + tagSize
	}
	return total, nil
}

// copyChunk copies sealed chunk i from byte at on into p, from the cache
// or sealed now, and returns the bytes copied.
func (s *sealedSource) copyChunk(p []byte, i, at int64) (int, error) {
	if k, ok := s.copyCached(p, i, at); ok {
		return k, nil
	}
	bp := chunkPool.Get().(*[]byte)
	start := i * chunkSize
	end := min(start+chunkSize, s.plain)
	buf := (*bp)[:end-start]
	if n, err := s.src.ReadAt(buf, start); n < len(buf) {
		chunkPool.Put(bp)
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, fmt.Errorf("read content to encrypt at %d: %w", start, err)
	}
	sealed := s.h.seal(buf[:0], buf, i, i == s.n-1)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tick++
	lru := 0
	for j, c := range s.cache {
		if c.i == i { // sealed meanwhile by another reader: same bytes
			s.cache[j].used = s.tick
			chunkPool.Put(bp)
			return copy(p, c.data[at:]), nil
		}
		if c.used < s.cache[lru].used {
			lru = j
		}
	}
	if old := s.cache[lru].data; old != nil {
		chunkPool.Put(&old)
	}
	s.cache[lru] = cachedChunk{i: i, used: s.tick, data: sealed}
	return copy(p, sealed[at:]), nil
}

// copyCached copies from chunk i, at byte at, into p when the chunk is cached.
func (s *sealedSource) copyCached(p []byte, i, at int64) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for j, c := range s.cache {
		if c.i == i {
			s.tick++
			s.cache[j].used = s.tick
			return copy(p, c.data[at:]), true
		}
	}
	return 0, false
}
