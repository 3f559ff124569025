package storage

import "io"

// Unwrapper is implemented by decorators (retries, limits, fault injection)
// to expose the backend they wrap, so optional capabilities of the real
// backend (such as S3's ExpectedHash) stay reachable through the stack.
type Unwrapper interface {
	Unwrap() Backend
}

// As walks b and the backends it wraps, outermost first, and returns the
// first that implements T.
func As[T any](b Backend) (T, bool) {
	for b != nil {
		if t, ok := b.(T); ok {
			return t, true
		}
		u, ok := b.(Unwrapper)
		if !ok {
			break
		}
		b = u.Unwrap()
	}
	var zero T
	return zero, false
}

// Described is implemented by a Get stream that knows the object it reads
// from the store's answer to the request (the S3 backend: size and ETag of
// a GetObject of the whole object), so that a caller needs no Stat beside
// the Get. ok is false when the stream cannot tell (a ranged read).
type Described interface {
	Object() (info ObjectInfo, ok bool)
}

// StreamUnwrapper is implemented by the Get streams of decorators to
// expose the stream they wrap.
type StreamUnwrapper interface {
	UnwrapStream() io.Reader
}

// DescribeStream returns what the Get stream r, or the first stream it
// wraps that knows it, says of the object read; ok is false when none does
// (ask Stat then).
func DescribeStream(r io.Reader) (info ObjectInfo, ok bool) {
	for r != nil {
		if d, isD := r.(Described); isD {
			if info, ok := d.Object(); ok {
				return info, true
			}
		}
		u, isU := r.(StreamUnwrapper)
		if !isU {
			break
		}
		r = u.UnwrapStream()
	}
	return ObjectInfo{}, false
}
