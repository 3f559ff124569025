package s3

import (
	"context"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Inspection is what `medusa check` needs to look at the bucket the way
// the backend does: the same SDK client (credentials, endpoint, addressing
// style, no SDK retries), the resolved region and the encryption settings.
// Its fields are for reading; the SSE-C key is never part of it.
type Inspection struct {
	Client      *s3.Client
	Credentials aws.CredentialsProvider
	// HTTPClient is the backend's HTTP client (nil when Options.HTTPClient
	// was given); other AWS clients of the check (STS, S3 Control) reuse it.
	HTTPClient *http.Client
	Bucket     string
	Region     string
	// Endpoint is the S3-compatible store's URL; "" for AWS.
	Endpoint string
	AWS      bool
	KMSID    string
	SSEC     bool
	// ApplySSE adds the backend's encryption and storage-class settings to
	// a request input (*s3.PutObjectInput, *s3.CreateMultipartUploadInput,
	// *s3.UploadPartInput, *s3.CompleteMultipartUploadInput,
	// *s3.GetObjectInput, *s3.HeadObjectInput, *s3.CopyObjectInput);
	// other inputs are left alone.
	ApplySSE func(in any)
}

// Inspect describes the backend for `medusa check`.
func (b *Backend) Inspect() Inspection {
	return Inspection{
		Client: b.client, Credentials: b.creds, HTTPClient: b.http,
		Bucket: b.bucket, Region: b.region, Endpoint: b.endpoint, AWS: b.kind == kindAWS,
		KMSID: b.sse.kmsID, SSEC: b.sse.cKey != nil, ApplySSE: b.sse.apply,
	}
}

// apply dispatches to the per-request SSE helpers.
func (s sse) apply(in any) {
	switch v := in.(type) {
	case *s3.PutObjectInput:
		s.put(v)
	case *s3.CreateMultipartUploadInput:
		s.create(v)
	case *s3.UploadPartInput:
		s.part(v)
	case *s3.CompleteMultipartUploadInput:
		s.complete(v)
	case *s3.GetObjectInput:
		s.get(v)
	case *s3.HeadObjectInput:
		s.head(v)
	case *s3.CopyObjectInput:
		v.StorageClass = s.storageClass
		v.ServerSideEncryption, v.SSEKMSKeyId = s.kms()
		v.SSECustomerAlgorithm, v.SSECustomerKey, v.SSECustomerKeyMD5 = s.cAlgorithm, s.cKey, s.cKeyMD5
		v.CopySourceSSECustomerAlgorithm, v.CopySourceSSECustomerKey, v.CopySourceSSECustomerKeyMD5 = s.cAlgorithm, s.cKey, s.cKeyMD5
	}
}

// DescribeCredentials says, in words, where credentials with this
// aws.Credentials.Source came from ("key_file /etc/medusa/creds (profile
// default)", "the IAM role via instance metadata", ...). It never looks at
// the keys.
func DescribeCredentials(source string) string { return describeCredentials(source) }

// Retrieve returns the credentials the backend signs with (resolving them
// on first use), for the check to report their source and expiry.
func (i Inspection) Retrieve(ctx context.Context) (aws.Credentials, error) {
	return i.Credentials.Retrieve(ctx)
}
