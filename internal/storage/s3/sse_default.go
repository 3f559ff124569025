package s3

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// isKMS reports whether an object or bucket encryption is SSE-KMS (or
// DSSE-KMS), whose ETags are not MD5s of the content.
func isKMS(alg types.ServerSideEncryption) bool {
	return alg == types.ServerSideEncryptionAwsKms || alg == types.ServerSideEncryptionAwsKmsDsse
}

// sawEncryption records an upload answer's encryption: an object the
// bucket encrypted with SSE-KMS without kms_id shows a KMS default.
func (b *Backend) sawEncryption(alg types.ServerSideEncryption) {
	if isKMS(alg) && b.sse.kmsID == "" && !b.kmsDefault.Load() {
		b.kmsDefault.Store(true)
		b.log.Info("the bucket encrypts with SSE-KMS by default: its ETags are not MD5s of the content, so content-hash checks are skipped",
			"bucket", b.bucket)
	}
}

// ProbeDefaultEncryption asks for the bucket's default encryption
// (GetBucketEncryption, s3:GetEncryptionConfiguration). With SSE-KMS as
// the default, HashesAreContent is false from then on, so that reuse,
// verify and restore do not compare ETags with content MD5s. A bucket
// without a default (or a store without the API) is not an error; a
// refused request is returned for the caller to log.
func (b *Backend) ProbeDefaultEncryption(ctx context.Context) error {
	if b.sse.kmsID != "" || b.sse.cKey != nil {
		return nil
	}
	out, err := b.client.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: &b.bucket})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			switch ae.ErrorCode() {
			case "ServerSideEncryptionConfigurationNotFoundError", "NotImplemented", "MethodNotAllowed":
				return nil
			}
		}
		return b.translate(ctx, "get default encryption of", "s3:GetEncryptionConfiguration", "", err)
	}
	if out.ServerSideEncryptionConfiguration == nil {
		return nil
	}
	for _, r := range out.ServerSideEncryptionConfiguration.Rules {
		if d := r.ApplyServerSideEncryptionByDefault; d != nil && isKMS(d.SSEAlgorithm) {
			b.kmsDefault.Store(true)
		}
	}
	return nil
}
