package azure

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"

	"github.com/medusa-go/medusa/internal/storage"
)

// markedCredential tags token failures so translateError can tell them
// from other errors.
type markedCredential struct{ azcore.TokenCredential }

func (c markedCredential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	tok, err := c.TokenCredential.GetToken(ctx, opts)
	if err != nil {
		return tok, &credentialError{err: err}
	}
	return tok, nil
}

// credentialError is a failure to obtain a token.
type credentialError struct{ err error }

// Error is the first line of the cause: DefaultAzureCredential reports on
// every credential it tried, over many lines.
func (e *credentialError) Error() string {
	msg, _, _ := strings.Cut(e.err.Error(), "\n")
	return "no Azure token: " + strings.TrimSpace(msg)
}
func (e *credentialError) Unwrap() error { return e.err }

// responseError shortens azcore's multi-line ResponseError (which carries
// the whole response body) to its code and status; the original stays in
// the chain for errors.As.
type responseError struct{ re *azcore.ResponseError }

func (e *responseError) Error() string {
	if e.re.ErrorCode == "" {
		return fmt.Sprintf("azure: HTTP %d", e.re.StatusCode)
	}
	return fmt.Sprintf("azure: %s (HTTP %d)", e.re.ErrorCode, e.re.StatusCode)
}
func (e *responseError) Unwrap() error { return e.re }

var accessDeniedCodes = []bloberror.Code{
	bloberror.AuthenticationFailed, bloberror.AuthorizationFailure, bloberror.AuthorizationPermissionMismatch,
	bloberror.AuthorizationProtocolMismatch, bloberror.AuthorizationResourceTypeMismatch,
	bloberror.AuthorizationServiceMismatch, bloberror.AuthorizationSourceIPMismatch,
	bloberror.InsufficientAccountPermissions, bloberror.AccountIsDisabled,
}

var transientCodes = []bloberror.Code{bloberror.ServerBusy, bloberror.InternalError, bloberror.OperationTimedOut}

// translateError maps an SDK error of operation op on key into the
// sentinels of package storage, wrapped with the operation and the key.
// container and creds (the credentials source) only appear in
// access-denied messages; neither is secret.
func translateError(op, containerName, key, creds string, err error) error {
	if err == nil {
		return nil
	}
	what := op
	if key != "" {
		what = op + " " + key
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", what, err)
	}
	var credErr *credentialError
	if errors.As(err, &credErr) {
		return accessDenied(what, op, containerName, creds, credErr)
	}
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		if isConnectionError(err) {
			return storage.Transient(fmt.Errorf("%s: %w", what, err))
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	short := &responseError{re: re}
	switch code := re.StatusCode; {
	case bloberror.HasCode(err, bloberror.BlobNotFound):
		return fmt.Errorf("%s: %w (%w)", what, storage.ErrNotExist, short)
	case bloberror.HasCode(err, bloberror.ContainerNotFound):
		return fmt.Errorf("%s: azure container %q: %w (%w)", what, containerName, storage.ErrBucketNotExist, short)
	case bloberror.HasCode(err, accessDeniedCodes...) || code == http.StatusUnauthorized || code == http.StatusForbidden:
		return accessDenied(what, op, containerName, creds, short)
	case bloberror.HasCode(err, transientCodes...) || code == http.StatusRequestTimeout ||
		code == http.StatusTooManyRequests || code >= 500:
		return storage.Transient(fmt.Errorf("%s: %w", what, short))
	case code == http.StatusNotFound:
		return fmt.Errorf("%s: %w (%w)", what, storage.ErrNotExist, short)
	}
	return fmt.Errorf("%s: %w", what, short)
}

// accessDenied is the one-sentence message for a refused request; cause
// (not secret) stays in the chain.
func accessDenied(what, op, containerName, creds string, cause error) error {
	return fmt.Errorf("%s: %w: azure container %q refused the %s for %s (%w); check the account, the key or the role assignments of that identity",
		what, storage.ErrAccessDenied, containerName, op, creds, cause)
}

// isConnectionError reports broken connections and network timeouts.
func isConnectionError(err error) bool {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr)
}
