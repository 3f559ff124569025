package check

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// fakeS3 is an in-memory bucket that refuses the operations in deny
// (by SDK operation name) with AccessDenied. Methods it does not
// implement panic through the nil embedded interface.
type fakeS3 struct {
	S3API
	objects map[string][]byte
	uploads map[string]string // upload id -> key
	deny    map[string]bool
	calls   []string
}

func newFakeS3(deny ...string) *fakeS3 {
	f := &fakeS3{objects: map[string][]byte{}, uploads: map[string]string{}, deny: map[string]bool{}}
	for _, d := range deny {
		f.deny[d] = true
	}
	return f
}

func (f *fakeS3) op(name string) error {
	f.calls = append(f.calls, name)
	if f.deny[name] {
		return &smithy.GenericAPIError{Code: "AccessDenied", Message: "Access Denied"}
	}
	return nil
}

func (f *fakeS3) HeadBucket(context.Context, *s3.HeadBucketInput, ...func(*s3.Options)) (*s3.HeadBucketOutput, error) {
	return &s3.HeadBucketOutput{}, f.op("HeadBucket")
}

func (f *fakeS3) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	if err := f.op("PutObject"); err != nil {
		return nil, err
	}
	b, _ := io.ReadAll(in.Body)
	f.objects[*in.Key] = b
	return &s3.PutObjectOutput{}, nil
}

func (f *fakeS3) CreateMultipartUpload(_ context.Context, in *s3.CreateMultipartUploadInput, _ ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	if err := f.op("CreateMultipartUpload"); err != nil {
		return nil, err
	}
	id := fmt.Sprintf("up%d", len(f.uploads)+1)
	f.uploads[id] = *in.Key
	return &s3.CreateMultipartUploadOutput{UploadId: &id}, nil
}

func (f *fakeS3) UploadPart(_ context.Context, in *s3.UploadPartInput, _ ...func(*s3.Options)) (*s3.UploadPartOutput, error) {
	if err := f.op("UploadPart"); err != nil {
		return nil, err
	}
	b, _ := io.ReadAll(in.Body)
	f.objects["part:"+*in.UploadId] = b
	return &s3.UploadPartOutput{ETag: aws.String(`"e1"`)}, nil
}

func (f *fakeS3) CompleteMultipartUpload(_ context.Context, in *s3.CompleteMultipartUploadInput, _ ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	if err := f.op("CompleteMultipartUpload"); err != nil {
		return nil, err
	}
	f.objects[*in.Key] = f.objects["part:"+*in.UploadId]
	delete(f.objects, "part:"+*in.UploadId)
	delete(f.uploads, *in.UploadId)
	return &s3.CompleteMultipartUploadOutput{}, nil
}

func (f *fakeS3) AbortMultipartUpload(_ context.Context, in *s3.AbortMultipartUploadInput, _ ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error) {
	if err := f.op("AbortMultipartUpload"); err != nil {
		return nil, err
	}
	delete(f.uploads, *in.UploadId)
	return &s3.AbortMultipartUploadOutput{}, nil
}

func (f *fakeS3) ListMultipartUploads(context.Context, *s3.ListMultipartUploadsInput, ...func(*s3.Options)) (*s3.ListMultipartUploadsOutput, error) {
	return &s3.ListMultipartUploadsOutput{}, f.op("ListMultipartUploads")
}

func (f *fakeS3) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	if err := f.op("GetObject"); err != nil {
		return nil, err
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(f.objects[*in.Key]))}, nil
}

func (f *fakeS3) HeadObject(_ context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	f.calls = append(f.calls, "HeadObject")
	if _, ok := f.objects[*in.Key]; !ok {
		return nil, &smithy.GenericAPIError{Code: "NotFound"}
	}
	return &s3.HeadObjectOutput{}, nil
}

func (f *fakeS3) ListObjectsV2(_ context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	if err := f.op("ListObjectsV2"); err != nil {
		return nil, err
	}
	out := &s3.ListObjectsV2Output{}
	for k := range f.objects {
		if strings.HasPrefix(k, *in.Prefix) {
			out.Contents = append(out.Contents, types.Object{Key: aws.String(k)})
		}
	}
	return out, nil
}

func (f *fakeS3) CopyObject(_ context.Context, in *s3.CopyObjectInput, _ ...func(*s3.Options)) (*s3.CopyObjectOutput, error) {
	if err := f.op("CopyObject"); err != nil {
		return nil, err
	}
	f.objects[*in.Key] = f.objects[strings.TrimPrefix(*in.CopySource, "b/")]
	return &s3.CopyObjectOutput{}, nil
}

func (f *fakeS3) DeleteObject(_ context.Context, in *s3.DeleteObjectInput, _ ...func(*s3.Options)) (*s3.DeleteObjectOutput, error) {
	if err := f.op("DeleteObject"); err != nil {
		return nil, err
	}
	delete(f.objects, *in.Key)
	return &s3.DeleteObjectOutput{}, nil
}

func runProbe(t *testing.T, f *fakeS3) map[string]Result {
	t.Helper()
	s := &S3{API: f, Bucket: "b", Prefix: "p", FQDN: "node1", ProbeID: "id", Store: "fake"}
	cs := []Check{{Name: "bucket/reachable", Run: s.checkReachable}}
	cs = append(cs, s.probeChecks()...)
	out := map[string]Result{}
	for _, r := range Run(t.Context(), cs, 0, nil).Results {
		out[r.Name] = r
	}
	return out
}

func TestProbeAllowed(t *testing.T) {
	f := newFakeS3()
	got := runProbe(t, f)
	for name, r := range got {
		if r.Status != OK {
			t.Errorf("%s: %s %s", name, r.Status, r.Detail)
		}
	}
	if !strings.Contains(got["policy/put-object"].Detail, "s3://b/p/.medusa-check/node1/id/single") {
		t.Errorf("probe key: %s", got["policy/put-object"].Detail)
	}
	if len(f.objects) != 0 || len(f.uploads) != 0 {
		t.Errorf("left behind: %v, uploads %v", f.objects, f.uploads)
	}
}

// TestProbeNamesMissingAction refuses one operation at a time: the step
// that needs it fails naming the IAM action, and the other steps pass or
// are skipped.
func TestProbeNamesMissingAction(t *testing.T) {
	for _, c := range []struct{ op, step, action string }{
		{"PutObject", "policy/put-object", "s3:PutObject"},
		{"UploadPart", "policy/multipart-upload", "s3:PutObject"},
		{"GetObject", "policy/get-object", "s3:GetObject"},
		{"ListObjectsV2", "policy/list-objects", "s3:ListBucket"},
		{"CopyObject", "policy/copy-object", "s3:GetObject (source) and s3:PutObject (destination)"},
		{"ListMultipartUploads", "policy/abort-upload", "s3:ListBucketMultipartUploads"},
		{"AbortMultipartUpload", "policy/abort-upload", "s3:AbortMultipartUpload"},
		{"DeleteObject", "policy/delete-object", "s3:DeleteObject"},
		{"HeadBucket", "bucket/reachable", "s3:ListBucket"},
	} {
		t.Run(c.op, func(t *testing.T) {
			got := runProbe(t, newFakeS3(c.op))
			r := got[c.step]
			if r.Status != FAIL || !strings.Contains(r.Detail, "lacks "+c.action) || !strings.Contains(r.Fix, c.action) {
				t.Errorf("%s: %s %q -> %q", c.step, r.Status, r.Detail, r.Fix)
			}
			for name, other := range got {
				if name != c.step && other.Status == FAIL {
					t.Errorf("%s also failed: %s", name, other.Detail)
				}
			}
		})
	}
}
