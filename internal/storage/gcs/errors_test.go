package gcs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"

	"cloud.google.com/go/auth"
	gcs "cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"

	"github.com/medusa-go/medusa/internal/storage"
)

func TestTranslateError(t *testing.T) {
	objMissing := fmt.Errorf("%w: %w", gcs.ErrObjectNotExist, &googleapi.Error{Code: 404, Message: "No such object: b/k"})
	bucketMissing404 := fmt.Errorf("%w: %w", gcs.ErrObjectNotExist,
		&googleapi.Error{Code: 404, Message: "The specified bucket does not exist."})
	tests := []struct {
		name      string
		err       error
		want      error // sentinel the result must match, nil: none
		transient bool
	}{
		{"object missing", gcs.ErrObjectNotExist, storage.ErrNotExist, false},
		{"object missing wrapped", objMissing, storage.ErrNotExist, false},
		{"bucket missing", gcs.ErrBucketNotExist, storage.ErrBucketNotExist, false},
		{"bucket missing via 404 body", bucketMissing404, storage.ErrBucketNotExist, false},
		{"plain 404", &googleapi.Error{Code: 404}, storage.ErrNotExist, false},
		{"403", &googleapi.Error{Code: 403, Message: "x does not have storage.objects.get access"}, storage.ErrAccessDenied, false},
		{"401", &googleapi.Error{Code: 401}, storage.ErrAccessDenied, false},
		{"token refused", &auth.Error{Response: &http.Response{StatusCode: 400}, Err: errors.New("invalid_grant")}, storage.ErrAccessDenied, false},
		{"token endpoint down", &auth.Error{Response: &http.Response{StatusCode: 503}}, nil, true},
		{"token endpoint unreachable", &auth.Error{Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}, nil, true},
		{"408", &googleapi.Error{Code: 408}, nil, true},
		{"429", &googleapi.Error{Code: 429}, nil, true},
		{"500", &googleapi.Error{Code: 500}, nil, true},
		{"503", &googleapi.Error{Code: 503}, nil, true},
		{"400 is permanent", &googleapi.Error{Code: 400}, nil, false},
		{"412 is permanent", &googleapi.Error{Code: 412}, nil, false},
		{"connection reset", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, nil, true},
		{"reset bare", fmt.Errorf("write: %w", syscall.ECONNRESET), nil, true},
		{"unexpected EOF", io.ErrUnexpectedEOF, nil, true},
		{"canceled", fmt.Errorf("x: %w", context.Canceled), context.Canceled, false},
		{"deadline", context.DeadlineExceeded, context.DeadlineExceeded, false},
		{"other", errors.New("boom"), nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := translateError("stat", "my-bucket", "a/b", "key file /k.json", tc.err)
			if got == nil {
				t.Fatal("translateError returned nil")
			}
			if tc.want != nil && !errors.Is(got, tc.want) {
				t.Errorf("translateError(%v) = %v, want it to match %v", tc.err, got, tc.want)
			}
			if storage.IsTransient(got) != tc.transient {
				t.Errorf("IsTransient(%v) = %v, want %v", got, !tc.transient, tc.transient)
			}
			if !strings.HasPrefix(got.Error(), "stat a/b: ") {
				t.Errorf("error %q does not start with the operation and key", got)
			}
			if errors.Is(got, storage.ErrAccessDenied) {
				for _, part := range []string{`"my-bucket"`, "key file /k.json", "stat"} {
					if !strings.Contains(got.Error(), part) {
						t.Errorf("access-denied message %q lacks %q", got, part)
					}
				}
			}
		})
	}
	if translateError("stat", "b", "k", "adc", nil) != nil {
		t.Error("translateError(nil) != nil")
	}
}
