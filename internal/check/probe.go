package check

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	s3store "github.com/medusa-go/medusa/internal/storage/s3"

	"github.com/medusa-go/medusa/internal/layout"
)

// ProbeDir is the folder, under the prefix, where the probe writes:
// <prefix>/.medusa-check/<fqdn>/<id>/. Nothing of a backup lives there and
// the probe deletes what it wrote.
const ProbeDir = ".medusa-check"

// probeState is what the probe steps share.
type probeState struct {
	dir       string
	single    string // key written with PutObject ("" until written)
	multipart string // key written with a multipart upload
	copied    string
	data      []byte
	uploads   []upload // multipart uploads not yet completed or aborted
}

type upload struct{ key, id string }

// probeDir returns the probe's folder (chosen on first use).
func probeDirFor(prefix, fqdn, id string) string {
	if fqdn == "" {
		fqdn = "unknown-node"
	}
	return layout.New(prefix).KeyPrefix() + ProbeDir + "/" + fqdn + "/" + id + "/"
}

func (s *S3) probeChecks() []Check {
	return []Check{
		{Name: "policy/put-object", Run: s.probePut},
		{Name: "policy/multipart-upload", Run: s.probeMultipart},
		{Name: "policy/get-object", Run: s.probeGet},
		{Name: "policy/list-objects", Run: s.probeList},
		{Name: "policy/copy-object", Run: s.probeCopy},
		{Name: "policy/abort-upload", Run: s.probeAbort},
		{Name: "policy/delete-object", Run: s.probeDelete},
	}
}

func (s *S3) sse(in any) {
	if s.ApplySSE != nil {
		s.ApplySSE(in)
	}
}

func (s *S3) objects() string { return objectARN(s.Bucket, s.Prefix) }

// stepFailed turns a failed request of a probe step into its result:
// a refusal names the IAM action it needed.
func (s *S3) stepFailed(what, action, resource string, err error) Result {
	if e := inspectErr(err); e.denied() {
		r := s.refused(true, action, resource, err)
		r.Detail = what + " " + r.Detail
		return r
	}
	return fail("check the store's logs; run medusa check again", "%s failed: %s", what, errText(err))
}

func (s *S3) probePut(ctx context.Context) Result {
	if !s.reachable {
		return s.notReachable()
	}
	id := s.ProbeID
	if id == "" {
		id = s.now().UTC().Format("20060102T150405.000000000Z")
	}
	p := &s.probe
	p.dir = probeDirFor(s.Prefix, s.FQDN, id)
	p.data = make([]byte, 4096)
	_, _ = rand.Read(p.data)
	key := p.dir + "single"
	in := &s3.PutObjectInput{Bucket: &s.Bucket, Key: &key, Body: bytes.NewReader(p.data), ContentLength: aws.Int64(int64(len(p.data)))}
	s.sse(in)
	if _, err := s.API.PutObject(ctx, in); err != nil {
		return s.stepFailed("PutObject "+key, "s3:PutObject", s.objects(), err)
	}
	p.single = key
	return ok("wrote s3://%s/%s (%d bytes)", s.Bucket, key, len(p.data))
}

func (s *S3) probeMultipart(ctx context.Context) Result {
	p := &s.probe
	if p.dir == "" {
		return skip("needs the probe folder (see policy/put-object)")
	}
	key := p.dir + "multipart"
	id, failed := s.startMultipart(ctx, key)
	if failed != nil {
		return *failed
	}
	pin := &s3.UploadPartInput{Bucket: &s.Bucket, Key: &key, UploadId: &id, PartNumber: aws.Int32(1),
		Body: bytes.NewReader(p.data), ContentLength: aws.Int64(int64(len(p.data)))}
	s.sse(pin)
	part, err := s.API.UploadPart(ctx, pin)
	if err != nil {
		return s.stepFailed("UploadPart "+key, "s3:PutObject", s.objects(), err)
	}
	done := &s3.CompleteMultipartUploadInput{Bucket: &s.Bucket, Key: &key, UploadId: &id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{ETag: part.ETag, PartNumber: aws.Int32(1)}}}}
	s.sse(done)
	if _, err := s.API.CompleteMultipartUpload(ctx, done); err != nil {
		return s.stepFailed("CompleteMultipartUpload "+key, "s3:PutObject", s.objects(), err)
	}
	p.uploads = p.uploads[:len(p.uploads)-1]
	p.multipart = key
	return ok("wrote s3://%s/%s with a multipart upload", s.Bucket, key)
}

func (s *S3) probeGet(ctx context.Context) Result {
	p := &s.probe
	if p.single == "" {
		return skip("nothing to read: the probe object was not written")
	}
	in := &s3.GetObjectInput{Bucket: &s.Bucket, Key: &p.single}
	s.sse(in)
	out, err := s.API.GetObject(ctx, in)
	if err != nil {
		return s.stepFailed("GetObject "+p.single, "s3:GetObject", s.objects(), err)
	}
	defer out.Body.Close()
	got, err := io.ReadAll(io.LimitReader(out.Body, int64(len(p.data))+1))
	if err != nil {
		return fail("check the network path to the store", "GetObject %s: reading the body: %v", p.single, err)
	}
	if !bytes.Equal(got, p.data) {
		return fail("check the store (or a proxy in front of it): it does not return the bytes written",
			"GetObject %s returned %d bytes that differ from the %d written", p.single, len(got), len(p.data))
	}
	return ok("read the probe object back, bytes identical")
}

func (s *S3) probeList(ctx context.Context) Result {
	p := &s.probe
	if p.single == "" && p.multipart == "" {
		return skip("nothing to list: no probe object was written")
	}
	out, err := s.API.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &s.Bucket, Prefix: &p.dir})
	if err != nil {
		return s.stepFailed("ListObjectsV2 "+p.dir, "s3:ListBucket", bucketARN(s.Bucket), err)
	}
	listed := map[string]bool{}
	for _, o := range out.Contents {
		listed[aws.ToString(o.Key)] = true
	}
	var missing []string
	for _, k := range []string{p.single, p.multipart} {
		if k != "" && !listed[k] {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return fail("check the store's listing consistency", "the listing of %s lacks %s", p.dir, strings.Join(missing, ", "))
	}
	return ok("listed %s: %d probe objects", p.dir, len(out.Contents))
}

func (s *S3) probeCopy(ctx context.Context) Result {
	p := &s.probe
	if p.single == "" {
		return skip("nothing to copy: the probe object was not written")
	}
	dst := p.dir + "copy"
	in := &s3.CopyObjectInput{Bucket: &s.Bucket, Key: &dst, CopySource: aws.String(s.Bucket + "/" + p.single)}
	s.sse(in)
	if _, err := s.API.CopyObject(ctx, in); err != nil {
		return s.stepFailed("CopyObject "+p.single+" -> "+dst, "s3:GetObject (source) and s3:PutObject (destination)", s.objects(), err)
	}
	p.copied = dst
	return ok("copied the probe object to %s", dst)
}

func (s *S3) probeAbort(ctx context.Context) Result {
	p := &s.probe
	if p.dir == "" {
		return skip("needs the probe folder (see policy/put-object)")
	}
	key := p.dir + "aborted"
	id, failed := s.startMultipart(ctx, key)
	if failed != nil {
		return *failed
	}
	var missing []string
	var firstErr error
	if _, err := s.API.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &s.Bucket, Prefix: &p.dir}); err != nil {
		if !inspectErr(err).denied() {
			return fail("check the store's logs", "ListMultipartUploads %s failed: %s", p.dir, errText(err))
		}
		missing, firstErr = append(missing, "s3:ListBucketMultipartUploads"), err
	}
	if _, err := s.API.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &s.Bucket, Key: &key, UploadId: &id}); err != nil {
		if !inspectErr(err).denied() {
			return fail("check the store's logs", "AbortMultipartUpload %s failed: %s", key, errText(err))
		}
		missing = append(missing, "s3:AbortMultipartUpload")
		if firstErr == nil {
			firstErr = err
		}
	} else {
		p.uploads = p.uploads[:len(p.uploads)-1]
	}
	if len(missing) > 0 {
		r := s.refused(true, strings.Join(missing, " and "), bucketARN(s.Bucket)+" and "+s.objects(), firstErr)
		r.Detail = "listing and aborting the node's multipart uploads (backups clean up interrupted uploads): " + r.Detail
		return r
	}
	return ok("listed and aborted a multipart upload")
}

func (s *S3) probeDelete(ctx context.Context) Result {
	p := &s.probe
	var keys []string
	for _, k := range []string{p.single, p.multipart, p.copied} {
		if k != "" {
			keys = append(keys, k)
		}
	}
	for _, u := range p.uploads { // best effort: uploads a failed step left
		_, _ = s.API.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &s.Bucket, Key: aws.String(u.key), UploadId: aws.String(u.id)})
	}
	p.uploads = nil
	if len(keys) == 0 {
		return skip("nothing to delete: no probe object was written")
	}
	for i, k := range keys {
		if _, err := s.API.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.Bucket, Key: aws.String(k)}); err != nil {
			if s3store.IsLockError(err) {
				return warn(fmt.Sprintf("nothing to fix for backups; delete s3://%s/%s once the retention ends", s.Bucket, p.dir),
					"DeleteObject %s refused by Object Lock (%s): the bucket's default retention locks the probe objects too; %d probe objects stay under s3://%s/%s until it ends",
					k, errText(err), len(keys)-i, s.Bucket, p.dir)
			}
			r := s.stepFailed("DeleteObject "+k, "s3:DeleteObject", s.objects(), err)
			r.Detail += fmt.Sprintf("; %d probe objects left under s3://%s/%s: delete them with other credentials", len(keys)-i, s.Bucket, p.dir)
			return r
		}
	}
	hin := &s3.HeadObjectInput{Bucket: &s.Bucket, Key: &keys[0]}
	s.sse(hin)
	if _, err := s.API.HeadObject(ctx, hin); err == nil {
		return fail("check the store: deleted objects must disappear", "%s still exists after DeleteObject", keys[0])
	}
	return ok("deleted the %d probe objects", len(keys))
}

// startMultipart starts a multipart upload of key (with the backup's
// encryption settings) and records it so the probe's clean-up aborts it;
// a refusal is the failed Result naming s3:PutObject.
func (s *S3) startMultipart(ctx context.Context, key string) (string, *Result) {
	cin := &s3.CreateMultipartUploadInput{Bucket: &s.Bucket, Key: &key}
	s.sse(cin)
	up, err := s.API.CreateMultipartUpload(ctx, cin)
	if err != nil {
		r := s.stepFailed("CreateMultipartUpload "+key, "s3:PutObject", s.objects(), err)
		return "", &r
	}
	id := aws.ToString(up.UploadId)
	s.probe.uploads = append(s.probe.uploads, upload{key, id})
	return id, nil
}
