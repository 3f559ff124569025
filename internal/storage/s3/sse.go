package s3

import (
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// sse holds the server-side encryption and storage-class settings added to
// requests. The SSE-C key is kept only in its header form.
type sse struct {
	kmsID        string
	storageClass types.StorageClass
	cAlgorithm   *string // "AES256" when SSE-C is on
	cKey         *string // base64 of the 32-byte key
	cKeyMD5      *string // base64 of the key's MD5
}

// newSSE validates the KMS id and SSE-C key. Errors never contain the key.
func newSSE(kmsID, sseCKey, storageClass string) (sse, error) {
	s := sse{kmsID: strings.TrimSpace(kmsID), storageClass: types.StorageClass(storageClass)}
	if sseCKey = strings.TrimSpace(sseCKey); sseCKey == "" {
		return s, nil
	}
	raw, err := base64.StdEncoding.DecodeString(sseCKey)
	if err != nil {
		return sse{}, fmt.Errorf("sse_c_key is not valid base64 (it must be the base64 encoding of a 256-bit key)")
	}
	if len(raw) != 32 {
		return sse{}, fmt.Errorf("sse_c_key decodes to %d bytes; SSE-C needs a 256-bit (32-byte) key, base64-encoded", len(raw))
	}
	sum := md5.Sum(raw)
	s.cAlgorithm = aws.String("AES256")
	s.cKey = aws.String(base64.StdEncoding.EncodeToString(raw))
	s.cKeyMD5 = aws.String(base64.StdEncoding.EncodeToString(sum[:]))
	return s, nil
}

func (s sse) kms() (types.ServerSideEncryption, *string) {
	if s.kmsID == "" {
		return "", nil
	}
	return types.ServerSideEncryptionAwsKms, aws.String(s.kmsID)
}

func (s sse) put(in *s3.PutObjectInput) {
	in.StorageClass = s.storageClass
	in.ServerSideEncryption, in.SSEKMSKeyId = s.kms()
	in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = s.cAlgorithm, s.cKey, s.cKeyMD5
}

func (s sse) create(in *s3.CreateMultipartUploadInput) {
	in.StorageClass = s.storageClass
	in.ServerSideEncryption, in.SSEKMSKeyId = s.kms()
	in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = s.cAlgorithm, s.cKey, s.cKeyMD5
}

func (s sse) part(in *s3.UploadPartInput) {
	in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = s.cAlgorithm, s.cKey, s.cKeyMD5
}

func (s sse) complete(in *s3.CompleteMultipartUploadInput) {
	in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = s.cAlgorithm, s.cKey, s.cKeyMD5
}

func (s sse) head(in *s3.HeadObjectInput) {
	in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = s.cAlgorithm, s.cKey, s.cKeyMD5
}

func (s sse) get(in *s3.GetObjectInput) {
	in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = s.cAlgorithm, s.cKey, s.cKeyMD5
}
