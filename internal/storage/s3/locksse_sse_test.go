package s3

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/testbed"
)

// minioOptions are the options of a backend on srv's bucket over HTTPS.
func minioOptions(t *testing.T, srv *testbed.MinIOServer) Options {
	t.Helper()
	keyFile := filepath.Join(t.TempDir(), "credentials")
	if err := srv.WriteKeyFile(keyFile); err != nil {
		t.Fatal(err)
	}
	return Options{Provider: "s3_compatible", Bucket: srv.Bucket, Region: srv.Region, Host: srv.Host, Port: srv.Port,
		Secure: true, KeyFile: keyFile, HTTPClient: srv.HTTPClient(),
		MultipartThreshold: partSize, MultipartChunkSize: partSize, MultipartConcurrency: 2}
}

func readAll(t *testing.T, b storage.Backend, key string) ([]byte, error) {
	t.Helper()
	rc, _, err := b.Get(t.Context(), key, 0, -1)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func randomKey(t *testing.T) string {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(k)
}

// TestSSEEnforcingServer runs against MinIO over HTTPS with its built-in
// KMS, a server that enforces server-side encryption:
//   - sse_c: objects (single and multipart) written with a customer key
//     cannot be read, nor described, without it or with another key, and
//     read back intact with it;
//   - kms: objects written with kms_id are stored encrypted under that key
//     (the server reports aws:kms and the key id) and read back intact;
//     their ETag is not the MD5 of the content, which is why Medusa skips
//     content-hash comparisons when kms_id or sse_c_key is set;
//   - bucket default: with SSE-KMS as the bucket's default encryption and
//     no kms_id, objects are stored encrypted and read back intact.
func TestSSEEnforcingServer(t *testing.T) {
	srv := testbed.MinIOT(t)
	ctx := t.Context()
	small := []byte("CREATE TABLE fx.t (k int PRIMARY KEY)")
	big := bytes.Repeat([]byte("0123456789abcdef"), (2*partSize+partSize/2)/16)
	md5hex := func(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) }

	t.Run("sse_c", func(t *testing.T) {
		o := minioOptions(t, srv)
		o.SSECKey = randomKey(t)
		withKey := mustNew(t, o)
		o.SSECKey = ""
		without := mustNew(t, o)
		o.SSECKey = randomKey(t)
		otherKey := mustNew(t, o)
		for key, body := range map[string][]byte{"ssec/small": small, "ssec/big": big} {
			if _, err := withKey.Put(ctx, key, bytes.NewReader(body)); err != nil {
				t.Fatalf("put %s with SSE-C: %v", key, err)
			}
			if got, err := readAll(t, without, key); err == nil {
				t.Errorf("%s read without the key (%d bytes): SSE-C not enforced", key, len(got))
			}
			if _, err := without.Stat(ctx, key); err == nil {
				t.Errorf("%s described without the key", key)
			}
			if _, err := readAll(t, otherKey, key); err == nil {
				t.Errorf("%s read with another key", key)
			}
			got, err := readAll(t, withKey, key)
			if err != nil || !bytes.Equal(got, body) {
				t.Errorf("%s read with the key: %d bytes, %v; want %d bytes intact", key, len(got), err, len(body))
			}
		}
	})

	t.Run("kms", func(t *testing.T) {
		o := minioOptions(t, srv)
		o.KMSID = testbed.MinIOKMSKey
		b := mustNew(t, o)
		for key, body := range map[string][]byte{"kms/small": small, "kms/big": big} {
			info, err := b.Put(ctx, key, bytes.NewReader(body))
			if err != nil {
				t.Fatalf("put %s with SSE-KMS: %v", key, err)
			}
			head, err := srv.Client().HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String(key)})
			if err != nil {
				t.Fatal(err)
			}
			if head.ServerSideEncryption != types.ServerSideEncryptionAwsKms ||
				!strings.Contains(aws.ToString(head.SSEKMSKeyId), testbed.MinIOKMSKey) {
				t.Errorf("%s stored with SSE %q key %q, want aws:kms under %s", key, head.ServerSideEncryption,
					aws.ToString(head.SSEKMSKeyId), testbed.MinIOKMSKey)
			}
			if b.HashesAreContent() {
				t.Error("HashesAreContent with kms_id")
			}
			if key == "kms/small" && info.Hash == md5hex(body) {
				t.Errorf("%s: the ETag of an SSE-KMS object is the content MD5 %s; the test expects a server that encrypts", key, info.Hash)
			}
			got, err := readAll(t, b, key)
			if err != nil || !bytes.Equal(got, body) {
				t.Errorf("%s read back: %d bytes, %v", key, len(got), err)
			}
		}
	})

	t.Run("bucket_default", func(t *testing.T) {
		const bucket = "medusa-default-sse"
		admin := srv.Client()
		if _, err := admin.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
			t.Fatal(err)
		}
		_, err := admin.PutBucketEncryption(ctx, &awss3.PutBucketEncryptionInput{Bucket: aws.String(bucket),
			ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
				ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{
					SSEAlgorithm: types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(testbed.MinIOKMSKey)}}}}})
		if err != nil {
			t.Fatalf("set the bucket's default encryption: %v", err)
		}
		o := minioOptions(t, srv)
		plain := mustNew(t, o)
		if err := plain.ProbeDefaultEncryption(ctx); err != nil || !plain.HashesAreContent() {
			t.Errorf("bucket without default encryption: probe %v, HashesAreContent %v; want nil, true", err, plain.HashesAreContent())
		}
		o.Bucket = bucket
		b := mustNew(t, o)
		if err := b.ProbeDefaultEncryption(ctx); err != nil {
			t.Fatalf("probe the default encryption: %v", err)
		}
		if b.HashesAreContent() {
			t.Error("HashesAreContent with SSE-KMS as the bucket default: restore and verify would compare ETags with MD5s")
		}
		// Without the probe, the first upload's answer tells it.
		fresh := mustNew(t, o)
		if _, err := fresh.Put(ctx, "dflt/first", bytes.NewReader(small)); err != nil {
			t.Fatal(err)
		}
		if fresh.HashesAreContent() {
			t.Error("HashesAreContent after an upload the bucket encrypted with SSE-KMS")
		}
		for key, body := range map[string][]byte{"dflt/small": small, "dflt/big": big} {
			if _, err := b.Put(ctx, key, bytes.NewReader(body)); err != nil {
				t.Fatalf("put %s: %v", key, err)
			}
			head, err := admin.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			if err != nil {
				t.Fatal(err)
			}
			if head.ServerSideEncryption != types.ServerSideEncryptionAwsKms {
				t.Errorf("%s stored with SSE %q, want the bucket default aws:kms", key, head.ServerSideEncryption)
			}
			got, err := readAll(t, b, key)
			if err != nil || !bytes.Equal(got, body) {
				t.Errorf("%s read back: %d bytes, %v", key, len(got), err)
			}
		}
	})
}
