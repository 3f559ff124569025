package storage

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
