package s3

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/medusa-go/medusa/internal/storage"
)

// errClass is what an SDK error means to medusa.
type errClass int

const (
	classOther errClass = iota
	classContext
	classNotExist
	classNoBucket
	classDenied
	classExpired // credentials expired: invalidate the cache, then retry
	classTransient
	classTLS      // certificate or TLS/plain-HTTP mismatch: a configuration error
	classNoAnswer // the store sent nothing for read_timeout
)

var (
	notExistCodes  = set("NoSuchKey", "NotFound", "NoSuchUpload")
	deniedCodes    = set("AccessDenied", "Forbidden", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AllAccessDisabled", "AccountProblem", "InvalidToken", "InvalidSecurity")
	expiredCodes   = set("ExpiredToken", "TokenRefreshRequired", "RequestExpired", "RequestTimeTooSkewed")
	transientCodes = set("SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "Throttling",
		"ThrottlingException", "RequestThrottled", "TooManyRequests", "RequestLimitExceeded", "BandwidthLimitExceeded",
		"OperationAborted", "EC2ThrottledException", "PriorRequestNotComplete")
)

func set(codes ...string) map[string]bool {
	m := make(map[string]bool, len(codes))
	for _, c := range codes {
		m[c] = true
	}
	return m
}

// classify maps an SDK error to an errClass and the S3 error code (or HTTP
// status) it was recognised by.
func classify(err error) (errClass, string) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return classContext, ""
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code := ae.ErrorCode()
		switch {
		case code == "NoSuchBucket":
			return classNoBucket, code
		case notExistCodes[code]:
			return classNotExist, code
		case deniedCodes[code]:
			return classDenied, code
		case expiredCodes[code]:
			return classExpired, code
		case transientCodes[code]:
			return classTransient, code
		}
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil && re.Response.Response != nil && re.HTTPStatusCode() > 0 {
		status := re.HTTPStatusCode()
		switch {
		case status == 404:
			return classNotExist, "404"
		case status == 403:
			return classDenied, "403"
		case status == 408 || status == 429 || status >= 500:
			return classTransient, fmt.Sprint(status)
		}
		// An answer whose body broke off (a reset after a 200's headers)
		// is a network failure, whatever its status said.
		if class, code := classifyNetwork(err); class != classOther {
			return class, code
		}
		return classOther, fmt.Sprint(status)
	}
	return classifyNetwork(err)
}

// classifyNetwork sorts errors that never got an S3 response.
func classifyNetwork(err error) (errClass, string) {
	var (
		unknownCA x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		record    tls.RecordHeaderError
		verify    *tls.CertificateVerificationError
		dns       *net.DNSError
	)
	switch {
	case errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &invalid), errors.As(err, &verify):
		return classTLS, "certificate"
	case errors.As(err, &record):
		return classTLS, "tls"
	case errors.As(err, &dns):
		if dns.IsNotFound {
			return classOther, "dns"
		}
		return classTransient, "dns"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNABORTED), errors.Is(err, net.ErrClosed):
		return classTransient, "connection"
	}
	var ne net.Error
	if errors.As(err, &ne) {
		if ne.Timeout() {
			return classNoAnswer, "timeout"
		}
		return classTransient, "network"
	}
	var se *smithyhttp.RequestSendError
	if errors.As(err, &se) {
		return classTransient, "send"
	}
	return classOther, ""
}

// translate turns an SDK error of operation op (get, put, ...) on key,
// which needed the IAM action, into medusa's errors. The wrapped message
// names the object; access-denied and missing-bucket errors are one
// sentence that says what to check.
func (b *Backend) translate(ctx context.Context, op, action, key string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		err = fmt.Errorf("%w (%w)", ctx.Err(), err)
	}
	where := fmt.Sprintf("%s s3://%s/%s", op, b.bucket, key)
	class, code := classify(err)
	if class == classContext && ctx.Err() == nil && storage.IsNetTimeout(err) {
		// net/http's header timeout also matches context.DeadlineExceeded.
		class = classNoAnswer
	}
	if IsLockError(err) {
		return fmt.Errorf("%s: %w (%s): the object's retention date has not passed yet", where, storage.ErrLocked, code)
	}
	switch class {
	case classNotExist:
		return fmt.Errorf("%s: %w", where, storage.ErrNotExist)
	case classNoBucket:
		return fmt.Errorf("%s: %w: %s has no bucket %q (%s): create it or fix bucket_name in [storage]",
			where, storage.ErrBucketNotExist, b.storeName(), b.bucket, code)
	case classDenied:
		return fmt.Errorf("%s: %w: bucket %q refused %s for the credentials from %s (%s%s)",
			where, storage.ErrAccessDenied, b.bucket, action, b.credentialsName(ctx), code, deniedHint(code))
	case classExpired:
		b.invalidateCredentials()
		return storage.Transient(fmt.Errorf("%s: credentials from %s were refused as expired or skewed (%s): %w",
			where, b.credentialsName(ctx), code, err))
	case classTransient:
		return storage.Transient(fmt.Errorf("%s: %w", where, err))
	case classNoAnswer:
		return storage.NoAnswer(where, b.storeName(), b.opts.ReadTimeout, err)
	case classTLS:
		return fmt.Errorf("%s: TLS to %s failed (%w): check secure (https vs http), ssl_verify, or add the CA to SSL_CERT_FILE", where, b.storeName(), err)
	default:
		return fmt.Errorf("%s: %w", where, err)
	}
}

// partTries is how many times a part is tried when it fails with err: a
// store that sent nothing for read_timeout gets one more try (on another
// connection), not PartAttempts, as each try waited the whole timeout.
func partTries(attempts int, err error) int {
	if errors.Is(err, storage.ErrNoAnswer) {
		return min(attempts, 2)
	}
	return attempts
}

func deniedHint(code string) string {
	switch code {
	case "InvalidAccessKeyId":
		return ": the access key id is unknown to the store"
	case "SignatureDoesNotMatch":
		return ": the secret key does not match the access key id"
	}
	return ""
}

// storeName says which store the backend talks to, for messages.
func (b *Backend) storeName() string {
	if b.endpoint != "" {
		return b.endpoint
	}
	return "AWS S3 in " + b.region
}

// credentialsName describes where the credentials in use come from,
// without any key: cached credentials are not fetched again.
func (b *Backend) credentialsName(ctx context.Context) string {
	if b.creds == nil {
		return "an unknown source"
	}
	c, err := b.creds.Retrieve(context.WithoutCancel(ctx))
	if err != nil {
		return "an unavailable source (" + describeCredentials(c.Source) + ")"
	}
	return describeCredentials(c.Source)
}

func (b *Backend) invalidateCredentials() {
	if inv, ok := b.creds.(interface{ Invalidate() }); ok {
		inv.Invalidate()
	}
}
