package crypt

import (
	"errors"
	"fmt"
	"io"
)

// openReader decrypts and authenticates sealed chunks first.. of an object
// from r, which starts at chunk first, and serves length bytes of content
// from skip bytes into that chunk (length < 0: to the end). total is the
// object's chunk count, known from its stored size, so the last chunk is
// opened as last and a truncated object fails.
type openReader struct {
	r       io.ReadCloser
	h       *header
	key     string
	i, n    int64
	skip    int64
	left    int64 // < 0: unbounded
	buf     []byte
	pending []byte
	err     error
}

func (o *openReader) Read(p []byte) (int, error) {
	if o.left == 0 {
		return 0, io.EOF
	}
	for len(o.pending) == 0 {
		if o.err != nil {
			return 0, o.err
		}
		if o.left == 0 || o.i >= o.n {
			o.err = io.EOF
			return 0, io.EOF
		}
		if err := o.fill(); err != nil {
			o.err = err
			return 0, err
		}
	}
	if o.left >= 0 && int64(len(p)) > o.left {
		p = p[:o.left]
	}
	k := copy(p, o.pending)
	o.pending = o.pending[k:]
	if o.left > 0 {
		o.left -= int64(k)
	}
	return k, nil
}

// fill reads, authenticates and decrypts the next chunk.
func (o *openReader) fill() error {
	last := o.i == o.n-1
	k, err := io.ReadFull(o.r, o.buf)
	if err != nil && !(last && errors.Is(err, io.ErrUnexpectedEOF)) {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("decrypt %s: chunk %d is cut short (the object is truncated): %w", o.key, o.i, ErrAuth)
		}
		return fmt.Errorf("decrypt %s: %w", o.key, err)
	}
	plain, err := o.h.open(o.buf[:0], o.buf[:k], o.i, last)
	if err != nil {
		return fmt.Errorf("decrypt %s: chunk %d does not authenticate under key id %q: the stored object was changed, truncated or damaged: %w", o.key, o.i, o.h.keyID, ErrAuth)
	}
	o.i++
	if o.skip > 0 {
		s := min(o.skip, int64(len(plain)))
		plain = plain[s:]
		o.skip -= s
	}
	o.pending = plain
	return nil
}

func (o *openReader) Close() error { return o.r.Close() }
