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

	"cloud.google.com/go/auth"
	gcs "cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"

	"github.com/medusa-go/medusa/internal/storage"
)

// translateError maps an SDK error of operation op on key into the
// sentinels of package storage, wrapped with the operation and the key.
// bucket and creds (the credentials source) only appear in access-denied
// messages; neither is secret.
func translateError(op, bucket, key, creds string, err error) error {
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
	if errors.Is(err, gcs.ErrBucketNotExist) || (errors.Is(err, gcs.ErrObjectNotExist) && mentionsBucket(err)) {
		return fmt.Errorf("%s: gcs bucket %q: %w", what, bucket, storage.ErrBucketNotExist)
	}
	if errors.Is(err, gcs.ErrObjectNotExist) {
		return fmt.Errorf("%s: %w", what, storage.ErrNotExist)
	}
	var authErr *auth.Error
	if errors.As(err, &authErr) {
		if (authErr.Response != nil && authErr.Response.StatusCode >= 500) ||
			(authErr.Response == nil && isConnectionError(err)) {
			return storage.Transient(fmt.Errorf("%s: fetching a gcs access token: %w", what, err))
		}
		return accessDenied(what, op, bucket, creds, "the token endpoint refused the credentials")
	}
	var apiErr *googleapi.Error
	if errors.As(err, &apiErr) {
		switch code := apiErr.Code; {
		case code == http.StatusUnauthorized || code == http.StatusForbidden:
			return accessDenied(what, op, bucket, creds, fmt.Sprintf("HTTP %d", code))
		case code == http.StatusNotFound && mentionsBucket(err):
			return fmt.Errorf("%s: gcs bucket %q: %w", what, bucket, storage.ErrBucketNotExist)
		case code == http.StatusNotFound:
			return fmt.Errorf("%s: %w", what, storage.ErrNotExist)
		case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
			return storage.Transient(fmt.Errorf("%s: %w", what, err))
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	if isConnectionError(err) {
		return storage.Transient(fmt.Errorf("%s: %w", what, err))
	}
	return fmt.Errorf("%s: %w", what, err)
}

// accessDenied is the one-sentence message for a refused request.
func accessDenied(what, op, bucket, creds, detail string) error {
	return fmt.Errorf("%s: %w: gcs bucket %q refused the %s for %s (%s); check the bucket name and the roles granted to that identity",
		what, storage.ErrAccessDenied, bucket, op, creds, detail)
}

// mentionsBucket reports whether a 404 is about the bucket rather than the
// object ("The specified bucket does not exist.", "NoSuchBucket").
func mentionsBucket(err error) bool {
	var apiErr *googleapi.Error
	if !errors.As(err, &apiErr) {
		return false
	}
	text := strings.ToLower(apiErr.Message + " " + apiErr.Body)
	return strings.Contains(text, "bucket does not exist") || strings.Contains(text, "nosuchbucket") ||
		strings.Contains(text, "bucket not found")
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
