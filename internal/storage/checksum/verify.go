package checksum

import (
	"context"

	"github.com/medusa-go/medusa/internal/storage"
)

// Verdict is what a comparison of content with a recorded hash found.
type Verdict uint8

// The verdicts.
const (
	// Unknown: the content cannot be compared with the hash (empty or
	// opaque hash, multipart ETag of a part size not tried).
	Unknown Verdict = iota
	// Matches: the content has the recorded hash.
	Matches
	// Differs: the content is not what the hash was computed from.
	Differs
)

func (v Verdict) String() string {
	switch v {
	case Matches:
		return "matches"
	case Differs:
		return "differs"
	}
	return "unknown"
}

// Checker hashes content written to it once, in every form that may have
// made the recorded hash: the plain MD5, or the multipart ETag with each
// candidate part size (PartSizes). Memory: one MD5 state per candidate.
type Checker struct {
	want    Sum
	hashers []*Hasher
}

// NewChecker returns a Checker of content of size bytes against want;
// preferred part sizes are tried first for a multipart want.
func NewChecker(want string, size int64, preferred ...int64) *Checker {
	c := &Checker{want: Parse(want)}
	switch c.want.Kind {
	case Plain:
		c.hashers = []*Hasher{NewHasher(0)}
	case Multipart:
		for _, p := range PartSizes(size, c.want.Parts, preferred...) {
			c.hashers = append(c.hashers, NewHasher(p))
		}
	}
	return c
}

// Write hashes p in every form; it never fails.
func (c *Checker) Write(p []byte) (int, error) {
	for _, h := range c.hashers {
		h.Write(p)
	}
	return len(p), nil
}

// Verdict compares what was written with the recorded hash: a plain MD5
// matches or differs; a multipart ETag matches when one candidate part
// size reproduces it and is Unknown otherwise (the part size used at
// upload may be another one).
func (c *Checker) Verdict() Verdict {
	for _, h := range c.hashers {
		if Parse(h.Sum()).Equal(c.want) {
			return Matches
		}
	}
	if c.want.Kind == Plain {
		return Differs
	}
	return Unknown
}

// VerifySource reads src once and compares it with the recorded hash
// want. For a multipart want, the hash e (a backend's Expecter, may be
// nil) would report for src is tried first; when it has want's number of
// parts but another digest and no usual part size matches either, the
// content Differs (the backend's own layout would have reproduced it).
func VerifySource(ctx context.Context, src storage.Source, want string, e Expecter) (Verdict, error) {
	w := Parse(want)
	if !w.IsContent() {
		return Unknown, nil
	}
	sameLayout := false
	if w.Kind == Multipart && e != nil {
		got, err := e.ExpectedHash(ctx, src)
		if err != nil {
			return Unknown, err
		}
		g := Parse(got)
		if g.Equal(w) {
			return Matches, nil
		}
		sameLayout = g.Kind == Multipart && g.Parts == w.Parts
	}
	c := NewChecker(want, src.Size())
	if err := hashSource(ctx, c, src); err != nil {
		return Unknown, err
	}
	v := c.Verdict()
	if v == Unknown && sameLayout {
		return Differs, nil
	}
	return v, nil
}
