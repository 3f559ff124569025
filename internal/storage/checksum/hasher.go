package checksum

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"hash"
)

// Hasher computes, from bytes written to it in order, the hash a store
// gives them: the plain MD5 (part size 0) or the S3 multipart ETag of an
// upload in parts of a given size. It holds one MD5 state and the 16-byte
// digests of finished parts, never the bytes.
type Hasher struct {
	h        hash.Hash // the whole content, or the current part
	partSize int64     // 0: plain MD5
	inPart   int64     // bytes of the current part hashed so far
	sums     []byte    // binary MD5s of the finished parts
	parts    int
}

// NewHasher returns a Hasher of the plain MD5 (partSize <= 0) or of the
// multipart ETag with parts of partSize bytes.
func NewHasher(partSize int64) *Hasher {
	return &Hasher{h: md5.New(), partSize: max(partSize, 0)}
}

// HasherFor returns the Hasher that checks content of size bytes against
// the recorded hash want in one pass: multipart with the most likely part
// size (PartSizes, own first: the part size the backend uses today) when
// want is a multipart ETag, else the plain MD5. When want is multipart and
// no candidate part size gives its number of parts, the plain MD5 is
// computed (and cannot match).
func HasherFor(want string, size, own int64) *Hasher {
	if s := Parse(want); s.Kind == Multipart {
		if sizes := PartSizes(size, s.Parts, own); len(sizes) > 0 {
			return NewHasher(sizes[0])
		}
	}
	return NewHasher(0)
}

// Write hashes p; it never fails.
func (s *Hasher) Write(p []byte) (int, error) {
	n := len(p)
	for s.partSize > 0 && int64(len(p)) >= s.partSize-s.inPart {
		take := s.partSize - s.inPart
		s.h.Write(p[:take])
		s.endPart()
		p = p[take:]
	}
	s.h.Write(p)
	s.inPart += int64(len(p))
	return n, nil
}

func (s *Hasher) endPart() {
	s.sums = s.h.Sum(s.sums)
	s.parts++
	s.h.Reset()
	s.inPart = 0
}

// PartSize is the part size hashed (0: plain MD5).
func (s *Hasher) PartSize() int64 { return s.partSize }

// Digest is the plain MD5 of everything written, nil in multipart form.
func (s *Hasher) Digest() []byte {
	if s.partSize > 0 {
		return nil
	}
	return s.h.Sum(nil)
}

// Sum is the hash of everything written: the lower-case hex MD5, or
// "<hex>-<parts>" in multipart form (an empty content is one empty part).
func (s *Hasher) Sum() string {
	if s.partSize == 0 {
		return hex.EncodeToString(s.h.Sum(nil))
	}
	sums, parts := s.sums, s.parts
	if s.inPart > 0 || parts == 0 {
		sums = s.h.Sum(sums)
		parts++
	}
	all := md5.Sum(sums)
	return fmt.Sprintf("%s-%d", hex.EncodeToString(all[:]), parts)
}
