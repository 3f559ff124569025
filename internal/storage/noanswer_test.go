package storage

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"testing"
	"time"
)

type headerTimeout struct{}

func (headerTimeout) Error() string     { return "net/http: timeout awaiting response headers" }
func (headerTimeout) Timeout() bool     { return true }
func (headerTimeout) Temporary() bool   { return true }
func (headerTimeout) Is(err error) bool { return err == context.DeadlineExceeded }

func TestIsNetTimeout(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"header timeout in url.Error", &url.Error{Op: "Get", URL: "u", Err: headerTimeout{}}, true},
		{"connection deadline", fmt.Errorf("read: %w", &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}), true},
		{"caller's deadline in url.Error", &url.Error{Op: "Get", URL: "u", Err: context.DeadlineExceeded}, false},
		{"bare context deadline", context.DeadlineExceeded, false},
		{"refused", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsNetTimeout(tt.err); got != tt.want {
				t.Fatalf("IsNetTimeout(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
	err := NoAnswer("get k", "http://h:1", time.Second, headerTimeout{})
	if !errors.Is(err, ErrNoAnswer) || !IsTransient(err) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("NoAnswer = %v: want transient ErrNoAnswer, not a context deadline", err)
	}
}
