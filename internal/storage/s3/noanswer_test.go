package s3

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/medusa-go/medusa/internal/storage"
)

// headerTimeout is what net/http returns when ResponseHeaderTimeout fires:
// a url.Error around a timeout that also matches context.DeadlineExceeded.
type headerTimeout struct{}

func (headerTimeout) Error() string   { return "net/http: timeout awaiting response headers" }
func (headerTimeout) Timeout() bool   { return true }
func (headerTimeout) Temporary() bool { return true }
func (headerTimeout) Is(err error) bool {
	return err == context.DeadlineExceeded
}

// TestNoAnswerClassification: the store's silence (header timeout, idle
// connection deadline) is a transient ErrNoAnswer naming endpoint,
// operation, key and read_timeout; the caller's own deadline or
// cancellation is not.
func TestNoAnswerClassification(t *testing.T) {
	send := func(err error) error {
		return sdkErr("PutObject", &smithyhttp.RequestSendError{Err: &url.Error{Op: "Put", URL: "http://h/b/k", Err: err}})
	}
	tests := []struct {
		name      string
		err       error
		cancelCtx bool
		noAnswer  bool
		transient bool
	}{
		{"header timeout", send(headerTimeout{}), false, true, true},
		{"idle connection deadline", &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}, false, true, true},
		{"caller's deadline through net/http", send(context.DeadlineExceeded), false, false, false},
		{"caller cancelled during a header wait", send(headerTimeout{}), true, false, false},
		{"connection reset", send(errors.New("connection reset by peer")), false, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if tt.cancelCtx {
				cancel()
			}
			b := &Backend{bucket: "bkt", endpoint: "http://10.0.0.9:9000", opts: Options{ReadTimeout: time.Minute}}
			err := b.translate(ctx, "put", "s3:PutObject", "node1/data/ks/t/nb-1-big-Data.db", tt.err)
			if got := errors.Is(err, storage.ErrNoAnswer); got != tt.noAnswer {
				t.Fatalf("ErrNoAnswer = %v, want %v: %v", got, tt.noAnswer, err)
			}
			if got := storage.IsTransient(err); got != tt.transient {
				t.Fatalf("IsTransient = %v, want %v: %v", got, tt.transient, err)
			}
			want := "put s3://bkt/node1/data/ks/t/nb-1-big-Data.db: no answer from the store: http://10.0.0.9:9000 sent nothing for 1m0s (read_timeout"
			if tt.noAnswer && !strings.Contains(err.Error(), want) {
				t.Fatalf("message = %q, want %q", err, want)
			}
		})
	}
}

func TestPartTries(t *testing.T) {
	silent := fmt.Errorf("x: %w", storage.ErrNoAnswer)
	for _, tt := range []struct {
		attempts int
		err      error
		want     int
	}{{3, silent, 2}, {1, silent, 1}, {3, errors.New("SlowDown"), 3}} {
		if got := partTries(tt.attempts, tt.err); got != tt.want {
			t.Errorf("partTries(%d, %v) = %d, want %d", tt.attempts, tt.err, got, tt.want)
		}
	}
}
