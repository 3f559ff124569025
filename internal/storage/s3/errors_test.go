package s3

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/medusa-go/medusa/internal/storage"
)

// sdkErr wraps err the way the SDK returns operation errors.
func sdkErr(op string, err error) error {
	return &smithy.OperationError{ServiceID: "S3", OperationName: op, Err: err}
}

func apiErr(status int, code string) error {
	return sdkErr("GetObject", &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
		Err:      &smithy.GenericAPIError{Code: code, Message: "server says " + code},
	})
}

func statusErr(status int) error {
	return sdkErr("HeadObject", &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
		Err:      fmt.Errorf("http %d", status),
	})
}

// invalidatingCreds counts cache invalidations.
type invalidatingCreds struct {
	keyFileProvider
	invalidated int
}

func (c *invalidatingCreds) Invalidate() { c.invalidated++ }

func TestTranslateError(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		want      error // sentinel, or nil
		transient bool
		contains  []string
	}{
		{"NoSuchKey", apiErr(404, "NoSuchKey"), storage.ErrNotExist, false, nil},
		{"HEAD 404", statusErr(404), storage.ErrNotExist, false, nil},
		{"NotFound", apiErr(404, "NotFound"), storage.ErrNotExist, false, nil},
		{"NoSuchBucket", apiErr(404, "NoSuchBucket"), storage.ErrBucketNotExist, false,
			[]string{`no bucket "bkt"`, "NoSuchBucket", "bucket_name"}},
		{"AccessDenied", apiErr(403, "AccessDenied"), storage.ErrAccessDenied, false,
			[]string{`bucket "bkt" refused s3:GetObject`, "key_file /etc/medusa/creds (profile default)", "AccessDenied"}},
		{"HEAD 403", statusErr(403), storage.ErrAccessDenied, false, []string{"(403)"}},
		{"InvalidAccessKeyId", apiErr(403, "InvalidAccessKeyId"), storage.ErrAccessDenied, false, []string{"access key id is unknown"}},
		{"SignatureDoesNotMatch", apiErr(403, "SignatureDoesNotMatch"), storage.ErrAccessDenied, false, []string{"secret key does not match"}},
		{"SlowDown", apiErr(503, "SlowDown"), nil, true, nil},
		{"InternalError", apiErr(500, "InternalError"), nil, true, nil},
		{"RequestTimeout", apiErr(400, "RequestTimeout"), nil, true, nil},
		{"502", statusErr(502), nil, true, nil},
		{"504", statusErr(504), nil, true, nil},
		{"429", statusErr(429), nil, true, nil},
		{"ExpiredToken", apiErr(400, "ExpiredToken"), nil, true, []string{"expired"}},
		{"InvalidArgument", apiErr(400, "InvalidArgument"), nil, false, nil},
		{"connection reset", sdkErr("PutObject", &smithyhttp.RequestSendError{Err: &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.ECONNRESET)}}), nil, true, nil},
		{"connection refused", sdkErr("PutObject", &smithyhttp.RequestSendError{Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}), nil, true, nil},
		{"200 whose body was reset", sdkErr("UploadPart", &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 200}},
			Err:      &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}}), nil, true, nil},
		{"unexpected EOF mid-body", fmt.Errorf("read body: %w", io.ErrUnexpectedEOF), nil, true, nil},
		{"idle timeout", &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}, nil, true, nil},
		{"send error", sdkErr("PutObject", &smithyhttp.RequestSendError{Err: errors.New("http2: stream closed")}), nil, true, nil},
		{"unknown CA", sdkErr("PutObject", &smithyhttp.RequestSendError{Err: x509.UnknownAuthorityError{}}), nil, false, []string{"ssl_verify", "SSL_CERT_FILE"}},
		{"no such host", sdkErr("PutObject", &smithyhttp.RequestSendError{Err: &net.DNSError{Err: "no such host", Name: "minio", IsNotFound: true}}), nil, false, nil},
		{"canceled", sdkErr("PutObject", fmt.Errorf("send: %w", context.Canceled)), context.Canceled, false, nil},
		{"deadline", sdkErr("PutObject", context.DeadlineExceeded), context.DeadlineExceeded, false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			creds := &invalidatingCreds{keyFileProvider: keyFileProvider{creds: aws.Credentials{
				AccessKeyID: testAccessKey, SecretAccessKey: testSecret,
				Source: keyFileSourcePrefix + "/etc/medusa/creds (profile default)"}}}
			b := &Backend{bucket: "bkt", region: "us-east-1", creds: creds}
			err := b.translate(t.Context(), "get", "s3:GetObject", "a/b.db", tc.err)
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("translate = %v, want errors.Is %v", err, tc.want)
			}
			for _, s := range []error{storage.ErrNotExist, storage.ErrBucketNotExist, storage.ErrAccessDenied} {
				if s != tc.want && errors.Is(err, s) {
					t.Errorf("translate = %v, unexpectedly matches %v", err, s)
				}
			}
			if got := storage.IsTransient(err); got != tc.transient {
				t.Errorf("IsTransient(%v) = %v, want %v", err, got, tc.transient)
			}
			msg := err.Error()
			if !strings.Contains(msg, "s3://bkt/a/b.db") {
				t.Errorf("message %q does not name the object", msg)
			}
			for _, c := range tc.contains {
				if !strings.Contains(msg, c) {
					t.Errorf("message %q lacks %q", msg, c)
				}
			}
			if strings.Contains(msg, testSecret) || strings.Contains(msg, testAccessKey) {
				t.Errorf("message leaks a key: %q", msg)
			}
			if wantInv := tc.name == "ExpiredToken"; (creds.invalidated > 0) != wantInv {
				t.Errorf("credentials invalidated %d times; want invalidation %v", creds.invalidated, wantInv)
			}
		})
	}
}

func TestTranslateCancelledContextWins(t *testing.T) {
	b := &Backend{bucket: "bkt"}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := b.translate(ctx, "put", "s3:PutObject", "k", apiErr(503, "SlowDown"))
	if !errors.Is(err, context.Canceled) || storage.IsTransient(err) {
		t.Errorf("translate with a cancelled context = %v, want context.Canceled and not transient", err)
	}
}
