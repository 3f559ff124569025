package retry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/medusa-go/medusa/internal/storage"
)

// Get implements storage.Backend: opening is retried, and the stream
// resumes at its current offset after a transient read error, from the
// version of the object the first answer described.
func (r *backend) Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, storage.ObjectInfo, error) {
	var rc io.ReadCloser
	var info storage.ObjectInfo
	err := r.do(ctx, "get", key, func() (err error) {
		rc, info, err = r.b.Get(ctx, key, offset, length)
		return err
	})
	if err != nil {
		return nil, storage.ObjectInfo{}, err
	}
	return &stream{r: r, ctx: ctx, key: key, offset: offset, length: length, info: info, rc: rc}, info, nil
}

// stream is a Get body that reopens itself after transient read errors.
type stream struct {
	r              *backend
	ctx            context.Context
	key            string
	offset, length int64              // as asked of Get
	info           storage.ObjectInfo // the object the first answer described
	pos            int64              // bytes delivered so far
	rc             io.ReadCloser
	fails          int   // consecutive failures without progress
	broken         error // the read error that closed rc
	err            error // sticky: the stream failed for good
	eof            bool
}

func (s *stream) Read(p []byte) (int, error) {
	for {
		if s.eof {
			return 0, io.EOF
		}
		if s.err != nil {
			return 0, s.err
		}
		if s.rc == nil {
			s.err = s.reopen()
			continue
		}
		n, err := s.rc.Read(p)
		s.pos += int64(n)
		if n > 0 {
			s.fails = 0
		}
		if err == nil || err == io.EOF || !resumable(s.ctx, err) || s.info.Version == "" || s.info.Size <= 0 {
			// Without a version a resumed read could splice two; without
			// the object's size it could not tell where the object ends.
			return n, err
		}
		_ = s.rc.Close()
		s.rc, s.broken = nil, err
		if n > 0 {
			return n, nil
		}
	}
}

// reopen opens the rest of the object after a failed read, with backoff.
func (s *stream) reopen() error {
	s.fails++
	if s.fails >= s.r.p.MaxAttempts {
		return fmt.Errorf("get %s: %w (gave up resuming at byte %d after %d attempts)",
			s.key, s.broken, s.offset+s.pos, s.fails)
	}
	if err := s.r.backoff(s.ctx, "get (resume)", s.key, s.fails, s.broken); err != nil {
		return err
	}
	rest := s.info.Size - s.offset - s.pos
	if s.length >= 0 {
		rest = min(rest, s.length-s.pos)
	}
	if rest <= 0 {
		s.eof = true
		return nil
	}
	rc, info, err := s.r.b.Get(s.ctx, s.key, s.offset+s.pos, rest)
	switch {
	case err == nil && (info.Version != s.info.Version || info.Size != s.info.Size):
		rc.Close()
		return fmt.Errorf("get %s: resume at byte %d: %w (version %q of %d bytes when the read started, now %q of %d bytes): start the read again",
			s.key, s.offset+s.pos, storage.ErrChanged, s.info.Version, s.info.Size, info.Version, info.Size)
	case err == nil:
		s.rc = rc
	case resumable(s.ctx, err):
		s.broken = err // try again on the next pass, counted as a failure
	default:
		return err
	}
	return nil
}

// Close implements io.Closer.
func (s *stream) Close() error {
	s.eof = true
	if s.rc == nil {
		return nil
	}
	err := s.rc.Close()
	s.rc = nil
	return err
}

// resumable reports whether a read error is worth reopening the stream:
// a transient error, or what SDKs return unmarked from bodies when the
// connection breaks.
func resumable(ctx context.Context, err error) bool {
	if ctx.Err() != nil || permanent(err) {
		return false
	}
	if storage.IsTransient(err) {
		return true
	}
	var ne net.Error
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || (errors.As(err, &ne) && ne.Timeout())
}
