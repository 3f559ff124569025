package azure

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/medusa-go/medusa/internal/storage"
)

func TestTranslateError(t *testing.T) {
	re := func(code string, status int) error {
		return fmt.Errorf("sdk: %w", &azcore.ResponseError{ErrorCode: code, StatusCode: status})
	}
	tests := []struct {
		name      string
		err       error
		want      error // sentinel to match; nil: none
		transient bool
	}{
		{"blob not found", re("BlobNotFound", 404), storage.ErrNotExist, false},
		{"HEAD 404 without code", re("", 404), storage.ErrNotExist, false},
		{"container not found", re("ContainerNotFound", 404), storage.ErrBucketNotExist, false},
		{"authentication failed", re("AuthenticationFailed", 403), storage.ErrAccessDenied, false},
		{"authorization failure", re("AuthorizationFailure", 403), storage.ErrAccessDenied, false},
		{"permission mismatch", re("AuthorizationPermissionMismatch", 403), storage.ErrAccessDenied, false},
		{"bare 403", re("", 403), storage.ErrAccessDenied, false},
		{"401", re("", 401), storage.ErrAccessDenied, false},
		{"token failure", fmt.Errorf("policy: %w", &credentialError{err: errors.New("DefaultAzureCredential: failed")}), storage.ErrAccessDenied, false},
		{"server busy", re("ServerBusy", 503), nil, true},
		{"internal error", re("InternalError", 500), nil, true},
		{"operation timed out", re("OperationTimedOut", 500), nil, true},
		{"429", re("", 429), nil, true},
		{"502", re("", 502), nil, true},
		{"invalid range", re("InvalidRange", 416), nil, false},
		{"blob archived", re("BlobArchived", 409), nil, false},
		{"connection reset", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, nil, true},
		{"unexpected EOF", fmt.Errorf("body: %w", io.ErrUnexpectedEOF), nil, true},
		{"canceled", fmt.Errorf("x: %w", context.Canceled), context.Canceled, false},
		{"other", errors.New("boom"), nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := translateError("put", "medusa", "a/b", "the shared key in key file /k.json", tc.err)
			if tc.want != nil && !errors.Is(got, tc.want) {
				t.Errorf("translateError(%v) = %v, want it to match %v", tc.err, got, tc.want)
			}
			if storage.IsTransient(got) != tc.transient {
				t.Errorf("IsTransient(%v) = %v, want %v", got, !tc.transient, tc.transient)
			}
			if !strings.HasPrefix(got.Error(), "put a/b: ") {
				t.Errorf("error %q does not start with the operation and key", got)
			}
			if strings.Contains(got.Error(), "\n") {
				t.Errorf("error %q spans several lines", got)
			}
			if errors.Is(got, storage.ErrAccessDenied) {
				for _, part := range []string{`"medusa"`, "key file /k.json", "put"} {
					if !strings.Contains(got.Error(), part) {
						t.Errorf("access-denied message %q lacks %q", got, part)
					}
				}
			}
			var resp *azcore.ResponseError
			if errors.As(tc.err, &resp) && !errors.As(got, &resp) {
				t.Errorf("translated error %v lost the SDK error from its chain", got)
			}
		})
	}
	if translateError("stat", "c", "k", "x", nil) != nil {
		t.Error("translateError(nil) != nil")
	}
}
