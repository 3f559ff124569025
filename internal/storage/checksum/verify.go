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
	// ownLayout: the backend's own part size gives want's number of parts.
	ownLayout bool
}

// NewChecker returns a Checker of content of size bytes against want. own
// is the part size the backend would upload size bytes with today (see
// PartSizeOf; 0: one piece or unknown); it is tried first.
func NewChecker(want string, size int64, own int64) *Checker {
	c := &Checker{want: Parse(want)}
	switch c.want.Kind {
	case Plain:
		c.hashers = []*Hasher{NewHasher(0)}
	case Multipart:
		for _, p := range PartSizes(size, c.want.Parts, own) {
			c.hashers = append(c.hashers, NewHasher(p))
		}
		c.ownLayout = own > 0 && max(ceilDiv(size, own), 1) == int64(c.want.Parts)
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

// Sum is the hash of what was written in the first form tried (the plain
// MD5, or the multipart ETag with the most likely part size), to show
// beside the recorded one; "" when no form applies.
func (c *Checker) Sum() string {
	if len(c.hashers) == 0 {
		return ""
	}
	return c.hashers[0].Sum()
}

// Verdict compares what was written with the recorded hash: a plain MD5
// matches or differs. A multipart ETag matches when one candidate part
// size reproduces it; when none does, the content differs if the
// backend's own part size gives the same number of parts (it would have
// reproduced it: the layout rarely changes), else the verdict is Unknown
// (the part size used at upload may be an unusual one).
func (c *Checker) Verdict() Verdict {
	for _, h := range c.hashers {
		if Parse(h.Sum()).Equal(c.want) {
			return Matches
		}
	}
	if c.want.Kind == Plain || c.ownLayout {
		return Differs
	}
	return Unknown
}

// VerifySource reads src once and compares it with the recorded hash want
// (see Checker; own as for NewChecker).
func VerifySource(ctx context.Context, src storage.Source, want string, own int64) (Verdict, error) {
	if !Parse(want).IsContent() {
		return Unknown, nil
	}
	c := NewChecker(want, src.Size(), own)
	if err := hashSource(ctx, c, src); err != nil {
		return Unknown, err
	}
	return c.Verdict(), nil
}
