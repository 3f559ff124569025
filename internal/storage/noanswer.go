package storage

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"
)

// IsNetTimeout reports whether err is a network timeout of the transport:
// a connection deadline, or net/http's wait for an answer's header. The
// innermost timeout of the chain decides, so that a caller's context
// deadline (which net/http also reports as a timeout) is not one.
func IsNetTimeout(err error) bool {
	var last net.Error
	for e := err; e != nil; e = errors.Unwrap(e) {
		if ne, ok := e.(net.Error); ok && ne.Timeout() {
			last = ne
		}
	}
	return last != nil && error(last) != context.DeadlineExceeded
}

// NoAnswer is the error of a request to store that got no answer, or no
// progress, for timeout: transient, matching ErrNoAnswer, naming what was
// being done (operation and key) and the setting that bounds the wait. The
// cause is kept as text only: net/http's timeout matches
// context.DeadlineExceeded, which would make it look like the caller's.
func NoAnswer(what, store string, timeout time.Duration, cause error) error {
	return Transient(fmt.Errorf("%s: %w: %s sent nothing for %s (read_timeout in [storage]; %v)",
		what, ErrNoAnswer, store, timeout, cause))
}
