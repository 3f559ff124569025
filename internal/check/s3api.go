package check

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// S3API is the part of the S3 client the checks call; *s3.Client has it.
type S3API interface {
	HeadBucket(context.Context, *s3.HeadBucketInput, ...func(*s3.Options)) (*s3.HeadBucketOutput, error)
	GetBucketLocation(context.Context, *s3.GetBucketLocationInput, ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error)
	GetBucketVersioning(context.Context, *s3.GetBucketVersioningInput, ...func(*s3.Options)) (*s3.GetBucketVersioningOutput, error)
	GetObjectLockConfiguration(context.Context, *s3.GetObjectLockConfigurationInput, ...func(*s3.Options)) (*s3.GetObjectLockConfigurationOutput, error)
	GetPublicAccessBlock(context.Context, *s3.GetPublicAccessBlockInput, ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error)
	GetBucketPolicyStatus(context.Context, *s3.GetBucketPolicyStatusInput, ...func(*s3.Options)) (*s3.GetBucketPolicyStatusOutput, error)
	GetBucketAcl(context.Context, *s3.GetBucketAclInput, ...func(*s3.Options)) (*s3.GetBucketAclOutput, error)
	GetBucketEncryption(context.Context, *s3.GetBucketEncryptionInput, ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error)

	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	CreateMultipartUpload(context.Context, *s3.CreateMultipartUploadInput, ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error)
	UploadPart(context.Context, *s3.UploadPartInput, ...func(*s3.Options)) (*s3.UploadPartOutput, error)
	CompleteMultipartUpload(context.Context, *s3.CompleteMultipartUploadInput, ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error)
	AbortMultipartUpload(context.Context, *s3.AbortMultipartUploadInput, ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
	ListMultipartUploads(context.Context, *s3.ListMultipartUploadsInput, ...func(*s3.Options)) (*s3.ListMultipartUploadsOutput, error)
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	ListObjectsV2(context.Context, *s3.ListObjectsV2Input, ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	CopyObject(context.Context, *s3.CopyObjectInput, ...func(*s3.Options)) (*s3.CopyObjectOutput, error)
	DeleteObject(context.Context, *s3.DeleteObjectInput, ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

// IdentityAPI names the caller; *sts.Client has it.
type IdentityAPI interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

var (
	_ S3API       = (*s3.Client)(nil)
	_ AccountAPI  = (*S3Control)(nil)
	_ IdentityAPI = (*sts.Client)(nil)
)

// apiError is what an AWS answer said: its error code (or "HTTP <status>"
// when it had none), its HTTP status and headers.
type apiError struct {
	code   string
	status int
	header http.Header
}

func inspectErr(err error) apiError {
	var e apiError
	var re *smithyhttp.ResponseError
	var ce *controlError
	if errors.As(err, &re) && re.Response != nil && re.Response.Response != nil {
		e.status = re.HTTPStatusCode()
		e.header = re.Response.Header
	} else if errors.As(err, &ce) {
		e.status = ce.Status
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		e.code = ae.ErrorCode()
	}
	if e.code == "" && e.status > 0 {
		e.code = fmt.Sprintf("HTTP %d", e.status)
	}
	return e
}

func (e apiError) denied() bool {
	switch e.code {
	case "AccessDenied", "Forbidden", "AllAccessDisabled":
		return true
	}
	return e.status == http.StatusForbidden && !e.badKey()
}

// badKey: the store does not accept the credentials at all.
func (e apiError) badKey() bool {
	switch e.code {
	case "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken", "InvalidClientTokenId":
		return true
	}
	return false
}

// notImplemented: the store has no such API (S3-compatible stores).
func (e apiError) notImplemented() bool {
	switch e.code {
	case "NotImplemented", "MethodNotAllowed", "XNotImplemented", "UnsupportedOperation":
		return true
	}
	return e.status == http.StatusNotImplemented || e.status == http.StatusMethodNotAllowed
}

func (e apiError) is(codes ...string) bool {
	for _, c := range codes {
		if e.code == c {
			return true
		}
	}
	return false
}

// errText is a short description of err for a detail line: the AWS error
// code and message when there is one, else the error itself.
func errText(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if m := ae.ErrorMessage(); m != "" {
			return ae.ErrorCode() + ": " + m
		}
		return ae.ErrorCode()
	}
	return err.Error()
}

// bucketARN and objectARN name the resources of the policy statements.
func bucketARN(bucket string) string { return "arn:aws:s3:::" + bucket }
func objectARN(bucket, prefix string) string {
	return "arn:aws:s3:::" + bucket + "/" + prefix + "*"
}

func boolv(p *bool) bool { return aws.ToBool(p) }
