package testbed

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/storage"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"google.golang.org/api/iterator"
)

// apiCode is the S3 error code of err, or "" for success or a non-API error.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func startedIn(t *testing.T, what string, t0 time.Time) {
	t.Logf("%s started in %s", what, time.Since(t0).Round(time.Millisecond))
}

func TestS3RestrictedUser(t *testing.T) {
	t0 := time.Now()
	s := S3T(t)
	startedIn(t, "versitygw + IAM service", t0)
	ctx := t.Context()
	admin, user := s.Client(s.Admin), s.Client(s.Restricted)
	// A bucket the restricted user was never granted (not made with NewBucket).
	if _, err := admin.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("not-granted")}); err != nil {
		t.Fatalf("admin CreateBucket: %v", err)
	}
	b, key, body := aws.String(s.Bucket), aws.String("index/backup_index/b1/f.txt"), "hello medusa"
	tests := []struct {
		name string
		op   func() error
		want string // "" = allowed, else the S3 error code
	}{
		{"PutObject", func() error {
			_, err := user.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: key, Body: strings.NewReader(body)})
			return err
		}, ""},
		{"GetObject", func() error {
			out, err := user.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: key})
			if err != nil {
				return err
			}
			defer out.Body.Close()
			if got, _ := io.ReadAll(out.Body); string(got) != body {
				t.Errorf("GetObject body = %q, want %q", got, body)
			}
			return nil
		}, ""},
		{"HeadBucket", func() error { _, err := user.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: b}); return err }, ""},
		{"ListObjectsV2", func() error {
			out, err := user.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b, Prefix: aws.String("index/")})
			if err == nil && (len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != *key) {
				t.Errorf("ListObjectsV2 = %d objects, want exactly %s", len(out.Contents), *key)
			}
			return err
		}, ""},
		{"CreateMultipartUpload+AbortMultipartUpload", func() error {
			up, err := user.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: aws.String("mp")})
			if err != nil {
				return err
			}
			_, err = user.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: b, Key: aws.String("mp"), UploadId: up.UploadId})
			return err
		}, ""},
		{"GetBucketAcl", func() error { _, err := user.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: b}); return err }, ""},
		{"DeleteObject", func() error {
			_, err := user.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: key})
			return err
		}, ""},
		{"CreateBucket", func() error {
			_, err := user.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("user-made")})
			return err
		}, "AccessDenied"},
		{"ListBuckets", func() error { _, err := user.ListBuckets(ctx, &s3.ListBucketsInput{}); return err }, "AccessDenied"},
		{"PutBucketAcl", func() error {
			_, err := user.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: b, ACL: types.BucketCannedACLPublicRead})
			return err
		}, "AccessDenied"},
		{"PutBucketPolicy", func() error {
			_, err := user.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(`{"Version":"2012-10-17","Statement":[]}`)})
			return err
		}, "AccessDenied"},
		{"DeleteBucket", func() error { _, err := user.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: b}); return err }, "AccessDenied"},
		{"PutObject in a bucket not granted", func() error {
			_, err := user.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("not-granted"), Key: key, Body: strings.NewReader(body)})
			return err
		}, "AccessDenied"},
	}
	for _, tc := range tests { // in order: Get needs the Put before it
		if got := apiCode(tc.op()); got != tc.want {
			t.Errorf("restricted %s: error code %q, want %q", tc.name, got, tc.want)
		}
	}
	for _, p := range []*Proc{s.iamProc, s.gwProc} {
		log, err := os.ReadFile(p.LogPath)
		if err != nil || len(log) == 0 {
			t.Fatalf("server log %s: %v (%d bytes)", p.LogPath, err, len(log))
		}
		if bytes.Contains(log, []byte(s.Admin.Secret)) || bytes.Contains(log, []byte(s.Restricted.Secret)) {
			t.Errorf("server log %s contains a secret", p.LogPath)
		}
	}
}

func TestS3NewBucketGrantsRestrictedUser(t *testing.T) {
	s := S3T(t)
	ctx := t.Context()
	if err := s.NewBucket(ctx, "medusa-second"); err != nil {
		t.Fatal(err)
	}
	_, err := s.Client(s.Restricted).PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("medusa-second"), Key: aws.String("k"), Body: strings.NewReader("v")})
	if err != nil {
		t.Fatalf("restricted PutObject in a NewBucket bucket: %v", err)
	}
	// The first bucket is still granted after the policy was rewritten.
	if _, err := s.Client(s.Restricted).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(s.Bucket)}); err != nil {
		t.Fatalf("restricted ListObjectsV2 on %s after NewBucket: %v", s.Bucket, err)
	}
}

func TestS3AdminAndAuthentication(t *testing.T) {
	s := S3T(t)
	ctx := t.Context()
	if _, err := s.Client(s.Admin).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("admin-made")}); err != nil {
		t.Fatalf("admin CreateBucket: %v", err)
	}
	out, err := s.Client(s.Admin).ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("admin ListBuckets: %v", err)
	}
	var names []string
	for _, b := range out.Buckets {
		names = append(names, aws.ToString(b.Name))
	}
	if !slices.Contains(names, "admin-made") || !slices.Contains(names, s.Bucket) {
		t.Errorf("admin ListBuckets = %v, want admin-made and %s", names, s.Bucket)
	}
	for _, tc := range []struct {
		name  string
		creds Credentials
		want  string
	}{
		{"wrong secret", Credentials{s.Restricted.AccessKey, "wrong-" + s.Restricted.Secret}, "SignatureDoesNotMatch"},
		{"wrong admin secret", Credentials{s.Admin.AccessKey, "nope"}, "SignatureDoesNotMatch"},
		{"unknown key", Credentials{"AKIAUNKNOWN000000000", "whatever"}, "InvalidAccessKeyId"},
	} {
		_, err := s.Client(tc.creds).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(s.Bucket)})
		if got := apiCode(err); got != tc.want {
			t.Errorf("%s: error code %q (%v), want %q", tc.name, got, err, tc.want)
		}
	}
}

func TestS3VirtualHostStyle(t *testing.T) {
	s := S3T(t)
	ctx := t.Context()
	c := s.VirtualHostClient(s.Restricted)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String("vh"), Body: strings.NewReader("x")}); err != nil {
		t.Fatalf("virtual-host PutObject: %v", err)
	}
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(s.Bucket)})
	if err != nil {
		t.Fatalf("virtual-host ListObjectsV2: %v", err)
	}
	if len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != "vh" {
		t.Errorf("virtual-host ListObjectsV2 = %d objects, want [vh]", len(out.Contents))
	}
}

func TestS3KeyFile(t *testing.T) {
	s := S3T(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "medusa-s3-credentials")
	if err := s.WriteKeyFile(path, s.Restricted); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadDefaultConfig(t.Context(), config.WithRegion(s.Region),
		config.WithSharedCredentialsFiles([]string{path}), config.WithSharedConfigFiles([]string{filepath.Join(dir, "none")}))
	if err != nil {
		t.Fatal(err)
	}
	got, err := cfg.Credentials.Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessKeyID != s.Restricted.AccessKey || got.SecretAccessKey != s.Restricted.Secret {
		t.Errorf("key file gives access key %q, want %q (or a different secret)", got.AccessKeyID, s.Restricted.AccessKey)
	}
}

func TestRestrictedPolicy(t *testing.T) {
	var seed policyDocument
	if err := json.Unmarshal(medusaPolicy, &seed); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		buckets []string
		wantRes []string // resources of the first statement
	}{
		{"one bucket", []string{"b1"}, []string{"arn:aws:s3:::b1", "arn:aws:s3:::b1/*"}},
		{"two buckets", []string{"b1", "b2"}, []string{"arn:aws:s3:::b1", "arn:aws:s3:::b2", "arn:aws:s3:::b1/*", "arn:aws:s3:::b2/*"}},
	} {
		doc, err := RestrictedPolicy(tc.buckets...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var got struct {
			Statement []struct {
				Action   []string
				Resource any
			}
		}
		if err := json.Unmarshal([]byte(doc), &got); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if len(got.Statement) != 2 || len(got.Statement[0].Action) != 43 || len(got.Statement[1].Action) != 2 {
			t.Fatalf("%s: statements/actions changed: %s", tc.name, doc)
		}
		res, _ := json.Marshal(got.Statement[0].Resource)
		if want, _ := json.Marshal(tc.wantRes); !bytes.Equal(res, want) {
			t.Errorf("%s: resources %s, want %s", tc.name, res, want)
		}
		if got.Statement[1].Resource != "*" {
			t.Errorf("%s: second statement resource %v, want \"*\"", tc.name, got.Statement[1].Resource)
		}
	}
	many := make([]string, 30)
	for i := range many {
		many[i] = "medusa-bucket-" + strings.Repeat("x", i%3) + string(rune('a'+i%26))
	}
	if _, err := RestrictedPolicy(many...); err == nil {
		t.Error("RestrictedPolicy(30 buckets) succeeded, want the 2048-byte limit error")
	}
}

func TestGCS(t *testing.T) {
	t0 := time.Now()
	g := GCST(t)
	startedIn(t, "fake-gcs-server", t0)
	t.Setenv("STORAGE_EMULATOR_HOST", g.Host)
	ctx := t.Context()
	c, err := storage.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := g.NewBucket(ctx, "medusa-gcs-second"); err != nil {
		t.Fatal(err)
	}
	for _, bucket := range []string{g.Bucket, "medusa-gcs-second"} {
		obj := c.Bucket(bucket).Object("dir/obj.txt")
		w := obj.NewWriter(ctx)
		if _, err := io.WriteString(w, "gcs body"); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("write gs://%s: %v", bucket, err)
		}
		r, err := obj.NewReader(ctx)
		if err != nil {
			t.Fatalf("read gs://%s: %v", bucket, err)
		}
		got, _ := io.ReadAll(r)
		r.Close()
		if string(got) != "gcs body" {
			t.Errorf("gs://%s body = %q", bucket, got)
		}
		var names []string
		it := c.Bucket(bucket).Objects(ctx, &storage.Query{Prefix: "dir/"})
		for {
			a, err := it.Next()
			if errors.Is(err, iterator.Done) {
				break
			} else if err != nil {
				t.Fatalf("list gs://%s: %v", bucket, err)
			}
			names = append(names, a.Name)
		}
		if !slices.Equal(names, []string{"dir/obj.txt"}) {
			t.Errorf("list gs://%s = %v", bucket, names)
		}
	}
}

func TestAzurite(t *testing.T) {
	t0 := time.Now()
	a := AzuriteT(t)
	startedIn(t, "Azurite", t0)
	ctx := t.Context()
	c, err := a.Client()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UploadBuffer(ctx, a.Container, "dir/blob.txt", []byte("azure body"), nil); err != nil {
		t.Fatalf("upload: %v", err)
	}
	resp, err := c.DownloadStream(ctx, a.Container, "dir/blob.txt", nil)
	if err != nil {
		t.Fatalf("download: %v", err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != "azure body" {
		t.Errorf("download = %q", got)
	}
	var names []string
	pager := c.NewListBlobsFlatPager(a.Container, &azblob.ListBlobsFlatOptions{Prefix: aws.String("dir/")})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		for _, b := range page.Segment.BlobItems {
			names = append(names, *b.Name)
		}
	}
	if !slices.Equal(names, []string{"dir/blob.txt"}) {
		t.Errorf("list = %v", names)
	}
	// A wrong account key is refused.
	bad, err := azblob.NewClientFromConnectionString(strings.Replace(a.ConnectionString, a.Key, "d3Jvbmcta2V5", 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.UploadBuffer(ctx, a.Container, "x", []byte("x"), nil); err == nil {
		t.Error("upload with a wrong key succeeded")
	}
}
