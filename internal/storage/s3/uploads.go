package s3

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/medusa-go/medusa/internal/storage"
)

var _ storage.UploadCleaner = (*Backend)(nil)

// IncompleteUploads lists the multipart uploads under prefix that were
// neither completed nor aborted (ListMultipartUploads, all pages).
func (b *Backend) IncompleteUploads(ctx context.Context, prefix string) ([]storage.IncompleteUpload, error) {
	in := &s3.ListMultipartUploadsInput{Bucket: &b.bucket, Prefix: aws.String(prefix)}
	var out []storage.IncompleteUpload
	for {
		page, err := b.client.ListMultipartUploads(ctx, in)
		if err != nil {
			return out, b.translate(ctx, "list incomplete uploads under", "s3:ListBucketMultipartUploads", prefix, err)
		}
		for _, u := range page.Uploads {
			out = append(out, storage.IncompleteUpload{Key: aws.ToString(u.Key), UploadID: aws.ToString(u.UploadId),
				Initiated: aws.ToTime(u.Initiated)})
		}
		if !aws.ToBool(page.IsTruncated) || (page.NextKeyMarker == nil && page.NextUploadIdMarker == nil) {
			return out, nil
		}
		in.KeyMarker, in.UploadIdMarker = page.NextKeyMarker, page.NextUploadIdMarker
	}
}

// AbortUpload aborts the multipart upload u and frees its parts. An
// upload that is already gone (NoSuchUpload) is not an error.
func (b *Backend) AbortUpload(ctx context.Context, u storage.IncompleteUpload) error {
	_, err := b.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &b.bucket, Key: &u.Key,
		UploadId: &u.UploadID})
	err = b.translate(ctx, "abort multipart upload of", "s3:AbortMultipartUpload", u.Key, err)
	if errors.Is(err, storage.ErrNotExist) {
		return nil
	}
	return err
}

// AbortCommand is the AWS CLI command that aborts u.
func (b *Backend) AbortCommand(u storage.IncompleteUpload) string {
	endpoint := ""
	if b.endpoint != "" {
		endpoint = " --endpoint-url " + b.endpoint
	}
	return fmt.Sprintf("aws s3api abort-multipart-upload%s --bucket %s --key '%s' --upload-id '%s'",
		endpoint, b.bucket, u.Key, u.UploadID)
}
