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
// sealed on demand; the last few are kept, so reads smaller than a chunk
// do not seal it again.
type sealedSource struct {
	src   storage.Source
	h     *header
	plain int64
	n     int64 // chunks

	mu    sync.Mutex
	cache [4]cachedChunk
	next  int
}

type cachedChunk struct {
	i    int64
	data []byte
}

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
		var piece []byte
		if off < HeaderSize {
			piece = s.h.raw[off:]
		} else {
			i := (off - HeaderSize) / sealedSize
			c, err := s.chunk(i)
			if err != nil {
				return done, err
			}
			piece = c[(off-HeaderSize)-i*sealedSize:]
		}
		k := copy(p[done:], piece)
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

// chunk returns sealed chunk i, from the cache or sealed now.
func (s *sealedSource) chunk(i int64) ([]byte, error) {
	s.mu.Lock()
	for _, c := range s.cache {
		if c.i == i {
			s.mu.Unlock()
			return c.data, nil
		}
	}
	s.mu.Unlock()
	start := i * chunkSize
	end := min(start+chunkSize, s.plain)
	buf := make([]byte, end-start, end-start+tagSize)
	if n, err := s.src.ReadAt(buf, start); n < len(buf) {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("read content to encrypt at %d: %w", start, err)
	}
	sealed := s.h.seal(buf[:0], buf, i, i == s.n-1)
	s.mu.Lock()
	s.cache[s.next] = cachedChunk{i: i, data: sealed}
	s.next = (s.next + 1) % len(s.cache)
	s.mu.Unlock()
	return sealed, nil
}
