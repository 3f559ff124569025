package check

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// bucketEncryption is the bucket's default encryption as GetBucketEncryption
// reports it.
type bucketEncryption struct {
	algorithm string // "" (none), "AES256", "aws:kms", "aws:kms:dsse"
	kmsKey    string
	blocked   []string // BlockedEncryptionTypes, e.g. "SSE-C"
}

func (s *S3) checkEncryption(ctx context.Context) Result {
	if !s.reachable {
		return s.notReachable()
	}
	if s.KMSID != "" && s.SSEC {
		return fail("set only one of kms_id and sse_c_key in [storage]", "both kms_id and sse_c_key are set")
	}
	var enc bucketEncryption
	out, err := s.API.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: &s.Bucket})
	if err != nil {
		e := inspectErr(err)
		switch {
		case e.is("ServerSideEncryptionConfigurationNotFoundError"):
		case e.notImplemented() && !s.AWS:
			return s.encryptionUnknown(fmt.Sprintf("%s does not report default encryption", s.Store))
		case e.denied():
			return s.refused(false, "s3:GetEncryptionConfiguration", bucketARN(s.Bucket), err)
		default:
			return warn("run medusa check again", "GetBucketEncryption: %v", err)
		}
	} else {
		enc = readEncryption(out.ServerSideEncryptionConfiguration)
	}
	def := "no default encryption"
	if enc.algorithm != "" {
		def = "default " + enc.algorithm
		if enc.kmsKey != "" {
			def += " with key " + enc.kmsKey
		}
	}
	switch {
	case s.SSEC && slices.Contains(enc.blocked, string(types.EncryptionTypeSseC)):
		return fail(fmt.Sprintf("allow SSE-C on the bucket (aws s3api put-bucket-encryption --bucket %s with BlockedEncryptionTypes without SSE-C), or use kms_id instead of sse_c_key", s.Bucket),
			"sse_c_key is set but bucket %q blocks SSE-C uploads (%s)", s.Bucket, def)
	case s.SSEC:
		return ok("uploads use SSE-C (sse_c_key); bucket %s", def)
	case s.KMSID != "" && enc.kmsKey != "" && !sameKMSKey(enc.kmsKey, s.KMSID):
		return warn(fmt.Sprintf("set kms_id = %s, or make %s the bucket's default key, so every object of the bucket uses one key", enc.kmsKey, s.KMSID),
			"uploads use kms_id %s, bucket %s", s.KMSID, def)
	case s.KMSID != "":
		return ok("uploads use SSE-KMS key %s (kms_id); bucket %s", s.KMSID, def)
	case enc.algorithm == "" && s.AWS:
		return warn(fmt.Sprintf("turn on default encryption (aws s3api put-bucket-encryption --bucket %s ...) or set kms_id in [storage]", s.Bucket),
			"bucket %q stores objects unencrypted (no default encryption, no kms_id)", s.Bucket)
	}
	return ok("bucket %s; [storage] sets no kms_id or sse_c_key", def)
}

func (s *S3) encryptionUnknown(why string) Result {
	switch {
	case s.SSEC:
		return ok("uploads use SSE-C (sse_c_key); %s", why)
	case s.KMSID != "":
		return ok("uploads use SSE-KMS key %s (kms_id); %s", s.KMSID, why)
	}
	return skip("%s; [storage] sets no kms_id or sse_c_key", why)
}

func readEncryption(c *types.ServerSideEncryptionConfiguration) bucketEncryption {
	var e bucketEncryption
	if c == nil {
		return e
	}
	for _, r := range c.Rules {
		if d := r.ApplyServerSideEncryptionByDefault; d != nil && e.algorithm == "" {
			e.algorithm = string(d.SSEAlgorithm)
			e.kmsKey = aws.ToString(d.KMSMasterKeyID)
		}
		if b := r.BlockedEncryptionTypes; b != nil {
			for _, t := range b.EncryptionType {
				e.blocked = append(e.blocked, string(t))
			}
		}
	}
	return e
}

// sameKMSKey compares a key id, alias or ARN with another: an ARN matches
// the bare key id or alias it ends with.
func sameKMSKey(a, b string) bool {
	if a == b {
		return true
	}
	tail := func(s string) string {
		for i := len(s) - 1; i >= 0; i-- {
			if s[i] == '/' {
				return s[i+1:]
			}
		}
		return s
	}
	return tail(a) == tail(b)
}
