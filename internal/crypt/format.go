package crypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

const (
	magic      = "MDSAENC"
	version    = 1
	chunkSize  = 64 << 10
	tagSize    = 16
	nonceSize  = 12
	prefixSize = 7
	// aadSize is the part of the header every seal authenticates: magic,
	// version, key id, chunk size and nonce prefix.
	aadSize     = 7 + 1 + 1 + maxKeyID + 4 + prefixSize // 7: len(magic)
	wrappedSize = nonceSize + KeySize + tagSize
	// HeaderSize is the size of the header of every encrypted object.
	HeaderSize = aadSize + wrappedSize
	sealedSize = chunkSize + tagSize
)

// ErrAuth: an object failed authentication (changed, truncated, or
// encrypted with another key under the same id).
var ErrAuth = errors.New("authentication failed")

// CiphertextSize returns the stored size of plain bytes of content.
func CiphertextSize(plain int64) int64 {
	return HeaderSize + plain + tagSize*chunks(plain)
}

// PlaintextSize returns the content size of a stored object of size
// bytes, false when no encrypted object has that size.
func PlaintextSize(stored int64) (int64, bool) {
	rest := stored - HeaderSize
	if rest < tagSize {
		return 0, false
	}
	n := (rest + sealedSize - 1) / sealedSize
	plain := rest - n*tagSize
	if plain < 0 || chunks(plain) != n {
		return 0, false
	}
	return plain, true
}

// chunks is the number of chunks of plain bytes: at least one.
func chunks(plain int64) int64 {
	if plain == 0 {
		return 1
	}
	return (plain + chunkSize - 1) / chunkSize
}

// header is the parsed header of one object with its data key's AEAD.
type header struct {
	raw    []byte // HeaderSize bytes
	keyID  string
	prefix []byte
	aead   cipher.AEAD
}

func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// newHeader draws a data key and nonce prefix for a new object and wraps
// the key with master, the master key of id.
func newHeader(id string, master []byte) (*header, error) {
	raw := make([]byte, HeaderSize)
	off := copy(raw, magic)
	raw[off] = version
	raw[off+1] = byte(len(id))
	copy(raw[off+2:], id)
	off += 2 + maxKeyID
	binary.BigEndian.PutUint32(raw[off:], chunkSize)
	off += 4
	dataKey := make([]byte, KeySize)
	if _, err := rand.Read(raw[off : off+prefixSize]); err != nil {
		return nil, err
	}
	if _, err := rand.Read(dataKey); err != nil {
		return nil, err
	}
	wrap, err := newGCM(master)
	if err != nil {
		return nil, err
	}
	nonce := raw[aadSize : aadSize+nonceSize]
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	wrap.Seal(raw[aadSize+nonceSize:aadSize+nonceSize], nonce, dataKey, raw[:aadSize])
	aead, err := newGCM(dataKey)
	if err != nil {
		return nil, err
	}
	return &header{raw: raw, keyID: id, prefix: raw[aadSize-prefixSize : aadSize], aead: aead}, nil
}

// masterFunc returns the master key of a key id and where it comes from
// (for messages), or an error naming object (the object's key) that says
// what to do.
type masterFunc func(object, id string) (master []byte, where string, err error)

// parseHeader checks raw's format and unwraps its data key with the
// master key of its key id. key names the object in errors.
func parseHeader(masters masterFunc, key string, raw []byte) (*header, error) {
	if len(raw) < HeaderSize || string(raw[:len(magic)]) != magic {
		return nil, fmt.Errorf("object %s is not encrypted by medusa (no encryption header): was it written without [storage] encryption_key_file?", key)
	}
	if v := raw[len(magic)]; v != version {
		return nil, fmt.Errorf("object %s uses encryption format version %d, this medusa reads version %d: use a newer medusa", key, v, version)
	}
	off := len(magic) + 1
	n := int(raw[off])
	if n == 0 || n > maxKeyID {
		return nil, fmt.Errorf("object %s: damaged encryption header (key id length %d): %w", key, n, ErrAuth)
	}
	id := strings.Clone(string(raw[off+1 : off+1+n]))
	off += 1 + maxKeyID
	if cs := binary.BigEndian.Uint32(raw[off:]); cs != chunkSize {
		return nil, fmt.Errorf("object %s: damaged encryption header (chunk size %d): %w", key, cs, ErrAuth)
	}
	master, where, err := masters(key, id)
	if err != nil {
		return nil, err
	}
	wrap, err := newGCM(master)
	if err != nil {
		return nil, err
	}
	nonce := raw[aadSize : aadSize+nonceSize]
	dataKey, err := wrap.Open(nil, nonce, raw[aadSize+nonceSize:HeaderSize], raw[:aadSize])
	if err != nil {
		return nil, fmt.Errorf("object %s: the data key does not open with key id %q of %s: a wrong key under that id, or a changed header: %w", key, id, where, ErrAuth)
	}
	aead, err := newGCM(dataKey)
	if err != nil {
		return nil, err
	}
	return &header{raw: raw[:HeaderSize:HeaderSize], keyID: id, prefix: raw[aadSize-prefixSize : aadSize], aead: aead}, nil
}

// nonce returns the nonce of chunk i.
func (h *header) nonce(i int64, last bool) []byte {
	n := make([]byte, nonceSize)
	copy(n, h.prefix)
	binary.BigEndian.PutUint32(n[prefixSize:], uint32(i))
	if last {
		n[nonceSize-1] = 1
	}
	return n
}

// seal appends the sealed chunk i of plain to dst.
func (h *header) seal(dst, plain []byte, i int64, last bool) []byte {
	return h.aead.Seal(dst, h.nonce(i, last), plain, h.raw[:aadSize])
}

// open appends the content of sealed chunk i to dst.
func (h *header) open(dst, sealed []byte, i int64, last bool) ([]byte, error) {
	return h.aead.Open(dst, h.nonce(i, last), sealed, h.raw[:aadSize])
}

// IsSealed reports whether head, the first bytes of an object, starts like
// an object this package encrypted (the magic). It authenticates nothing:
// reading the object does.
func IsSealed(head []byte) bool {
	return len(head) >= len(magic) && string(head[:len(magic)]) == magic
}
