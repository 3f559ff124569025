package checksum

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// Kind is what a store hash is.
type Kind uint8

// The kinds of store hashes.
const (
	// Empty: the store reported no hash.
	Empty Kind = iota
	// Plain is the MD5 of the content, in hex or base64.
	Plain
	// Multipart is an S3 multipart ETag "<hex>-<parts>".
	Multipart
	// Opaque is anything else (Azure ETag, SSE ETags that are no hex):
	// it identifies a stored version, not the content.
	Opaque
)

// MaxParts is S3's limit on the parts of a multipart upload.
const MaxParts = 10000

// Sum is a parsed store hash.
type Sum struct {
	Kind Kind
	// Digest is the MD5 (Kind Plain) or the MD5 of the parts' MD5s (Kind
	// Multipart); nil otherwise.
	Digest []byte
	// Parts is the number of parts of a multipart ETag, else 0.
	Parts int
	// Raw is the hash without surrounding white space and quotes.
	Raw string
}

// Parse reads a hash as a store reports it (see the package doc).
func Parse(s string) Sum {
	s = strings.Trim(strings.TrimSpace(s), `"`)
	switch {
	case s == "":
		return Sum{Kind: Empty}
	case len(s) == 2*md5.Size:
		if b, err := hex.DecodeString(s); err == nil {
			return Sum{Kind: Plain, Digest: b, Raw: s}
		}
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == md5.Size {
		return Sum{Kind: Plain, Digest: b, Raw: s}
	}
	if h, n, ok := strings.Cut(s, "-"); ok && len(h) == 2*md5.Size {
		b, err := hex.DecodeString(h)
		parts, perr := strconv.Atoi(n)
		if err == nil && perr == nil && parts > 0 && parts <= MaxParts && n == strconv.Itoa(parts) {
			return Sum{Kind: Multipart, Digest: b, Parts: parts, Raw: s}
		}
	}
	return Sum{Kind: Opaque, Raw: s}
}

// IsContent reports whether the hash can be recomputed from the content
// (a plain MD5 or a multipart ETag).
func (s Sum) IsContent() bool { return s.Kind == Plain || s.Kind == Multipart }

// String is the canonical form: lower-case hex MD5, "<hex>-<parts>", the
// opaque value as reported, or "".
func (s Sum) String() string {
	switch s.Kind {
	case Plain:
		return hex.EncodeToString(s.Digest)
	case Multipart:
		return fmt.Sprintf("%s-%d", hex.EncodeToString(s.Digest), s.Parts)
	}
	return s.Raw
}

// Equal reports whether two sums are the same hash (see the package doc:
// never when either is empty; opaque values only when identical).
func (s Sum) Equal(o Sum) bool {
	if s.Kind != o.Kind {
		return false
	}
	switch s.Kind {
	case Plain:
		return bytes.Equal(s.Digest, o.Digest)
	case Multipart:
		return s.Parts == o.Parts && bytes.Equal(s.Digest, o.Digest)
	case Opaque:
		return s.Raw == o.Raw
	}
	return false
}

// Equal reports whether hashes a and b, each as a store reports it or as
// computed here, are the same hash. It is symmetric; use it both to
// compare a local file's hash with a stored one and two stored hashes.
func Equal(a, b string) bool { return Parse(a).Equal(Parse(b)) }
