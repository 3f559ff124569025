package restore

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"

	"github.com/medusa-go/medusa/internal/layout"
)

// streamHasher hashes a download on the way, in the one form its check
// needs, so that no file is read twice and no byte is hashed twice:
//   - the plain MD5 of the content, when the manifest records a plain
//     MD5 (or nothing that says multipart);
//   - the S3 multipart ETag "<hex>-<parts>", when the manifest records one:
//     each part's MD5 with the most likely part size that gives that many
//     parts (partSizeCandidates). The check falls back to reading the file
//     again with other part sizes only when that one does not match.
type streamHasher struct {
	h        hash.Hash // the whole content, or the current part
	partSize int64     // 0: whole-content MD5
	inPart   int64     // bytes of the current part hashed so far
	sums     []byte    // binary MD5s of the finished parts
	parts    int
}

// newStreamHasher chooses the form for object o of the manifest.
func newStreamHasher(o layout.Object) *streamHasher {
	s := &streamHasher{h: md5.New()}
	if o.MD5 == nil {
		return s
	}
	if parts, ok := parseMultipart(strings.TrimSpace(*o.MD5)); ok {
		if sizes := partSizeCandidates(o.Size, parts); len(sizes) > 0 {
			s.partSize = sizes[0]
		}
	}
	return s
}

func (s *streamHasher) Write(p []byte) (int, error) {
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

func (s *streamHasher) endPart() {
	s.sums = s.h.Sum(s.sums)
	s.parts++
	s.h.Reset()
	s.inPart = 0
}

// contentMD5 is the plain MD5 of everything written (nil in multipart form).
func (s *streamHasher) contentMD5() []byte {
	if s.partSize > 0 {
		return nil
	}
	return s.h.Sum(nil)
}

// multipartETag is the multipart ETag of everything written ("" in plain
// form), computed like hash.go's multipartETag.
func (s *streamHasher) multipartETag() string {
	if s.partSize == 0 {
		return ""
	}
	sums, parts := s.sums, s.parts
	if s.inPart > 0 || parts == 0 {
		sums = s.h.Sum(sums)
		parts++
	}
	all := md5.Sum(sums)
	return fmt.Sprintf("%s-%d", hex.EncodeToString(all[:]), parts)
}
