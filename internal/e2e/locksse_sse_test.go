package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/medusa-go/medusa/internal/testbed"
)

// minioMedusa is a medusa for the node on MinIO (HTTPS) with extra
// [storage] keys.
func minioMedusa(t *testing.T, srv *testbed.MinIOServer, n *testbed.Node, bucket, prefix string, extra map[string]string) *purgeMedusa {
	t.Helper()
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "credentials")
	if err := srv.WriteKeyFile(keyFile); err != nil {
		t.Fatal(err)
	}
	st := map[string]string{"storage_provider": "s3_compatible", "host": srv.Host, "port": fmt.Sprint(srv.Port),
		"secure": "True", "ssl_verify": "False", "region": srv.Region, "key_file": keyFile, "concurrent_transfers": "1"}
	for k, v := range extra {
		st[k] = v
	}
	ini := testbed.MedusaINI{Bucket: bucket, Prefix: prefix, BasePath: dir, Node: n, FQDN: n.Host,
		Extra: map[string]map[string]string{"storage": st}}
	path := filepath.Join(dir, "medusa.ini")
	if err := ini.Write(path); err != nil {
		t.Fatal(err)
	}
	return &purgeMedusa{t: t, ini: path, tmp: t.TempDir()}
}

// TestSSEOnEnforcingServer: backups of the real node on MinIO, which
// enforces server-side encryption. With sse_c_key the backup cannot be
// verified or downloaded without the key and downloads (the restore's
// fetch and content checks) with it; with kms_id, and with SSE-KMS as the
// bucket's default and no kms_id, the objects are stored under the KMS
// key, and verify --enable-md5-checks and download work although the
// ETags are not MD5s.
func TestSSEOnEnforcingServer(t *testing.T) {
	n := testNode(t)
	srv := testbed.MinIOT(t)
	admin := srv.Client()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	const defaultBucket = "medusa-default-kms"
	if _, err := admin.CreateBucket(t.Context(), &awss3.CreateBucketInput{Bucket: aws.String(defaultBucket)}); err != nil {
		t.Fatal(err)
	}
	_, err := admin.PutBucketEncryption(t.Context(), &awss3.PutBucketEncryptionInput{Bucket: aws.String(defaultBucket),
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{
				SSEAlgorithm: types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(testbed.MinIOKMSKey)}}}}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, bucket string
		extra        map[string]string
		kms          bool
	}{
		{"sse_c", srv.Bucket, map[string]string{"sse_c_key": base64.StdEncoding.EncodeToString(key)}, false},
		{"kms_id", srv.Bucket, map[string]string{"kms_id": testbed.MinIOKMSKey}, true},
		{"bucket_default", defaultBucket, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := minioMedusa(t, srv, n, c.bucket, c.name, c.extra)
			m.must("backup", "--backup-name", "e1")
			manifest := c.name + "/" + n.Host + "/e1/meta/manifest.json"
			if c.kms {
				head, err := admin.HeadObject(t.Context(), &awss3.HeadObjectInput{Bucket: aws.String(c.bucket), Key: aws.String(manifest)})
				if err != nil {
					t.Fatal(err)
				}
				if head.ServerSideEncryption != types.ServerSideEncryptionAwsKms ||
					!strings.Contains(aws.ToString(head.SSEKMSKeyId), testbed.MinIOKMSKey) {
					t.Errorf("%s stored with %q under %q, want aws:kms under %s", manifest, head.ServerSideEncryption,
						aws.ToString(head.SSEKMSKeyId), testbed.MinIOKMSKey)
				}
			} else {
				if _, err := admin.GetObject(t.Context(), &awss3.GetObjectInput{Bucket: aws.String(c.bucket), Key: aws.String(manifest)}); err == nil {
					t.Errorf("%s read without the SSE-C key", manifest)
				}
				nokey := minioMedusa(t, srv, n, c.bucket, c.name, nil)
				if out, code := nokey.run("download", "--backup-name", "e1", "--download-destination", t.TempDir()); code == 0 {
					t.Errorf("download without sse_c_key succeeded:\n%s", out)
				}
			}
			if out := m.must("verify", "--backup-name", "e1", "--enable-md5-checks"); !strings.Contains(out, "Manifest validated: OK!!") {
				t.Errorf("verify --enable-md5-checks:\n%s", out)
			}
			dest := t.TempDir()
			m.must("download", "--backup-name", "e1", "--download-destination", dest, "--keyspace", "fx_shop",
				"--ignore-system-keyspaces")
			files := 0
			_ = filepath.WalkDir(filepath.Join(dest, "fx_shop"), func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					files++
				}
				return nil
			})
			if files == 0 {
				t.Errorf("download of fx_shop holds no file")
			}
		})
	}
}
