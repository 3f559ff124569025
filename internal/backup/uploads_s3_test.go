package backup

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/medusa-go/medusa/internal/clock"
	"github.com/medusa-go/medusa/internal/storage/retry"
	"github.com/medusa-go/medusa/internal/storage/s3"
	"github.com/medusa-go/medusa/internal/testbed"
)

// TestS3IncompleteUploadsCleanup runs a backup on the real S3 server as the
// user restricted to the seed's MedusaStorageStrategy policy, with two
// incomplete multipart uploads under the node's prefix: the one older than
// UploadMaxAge is aborted, the fresh one is kept and reported with the
// command that aborts it. An upload of another node is not touched.
func TestS3IncompleteUploadsCleanup(t *testing.T) {
	srv := testbed.S3T(t)
	keyFile := filepath.Join(t.TempDir(), "credentials")
	if err := srv.WriteKeyFile(keyFile, srv.Restricted); err != nil {
		t.Fatal(err)
	}
	st, err := s3.New(t.Context(), s3.Options{Provider: "s3_compatible", Bucket: srv.Bucket, Region: srv.Region,
		Host: srv.Host, Port: srv.Port, KeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	admin := srv.Client(srv.Admin)
	e := newEnv(t, "uploads-cleanup")
	start := func(key string) string {
		out, err := admin.CreateMultipartUpload(t.Context(), &awss3.CreateMultipartUploadInput{
			Bucket: aws.String(srv.Bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := admin.UploadPart(t.Context(), &awss3.UploadPartInput{Bucket: aws.String(srv.Bucket),
			Key: aws.String(key), UploadId: out.UploadId, PartNumber: aws.Int32(1),
			Body: bytes.NewReader([]byte("part of a killed upload"))}); err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.UploadId)
	}
	node := e.l.NodePrefix(fqdn)
	oldKey, freshKey := node+"data/ks1/users-1111/nb-9-big-Data.db", node+"data/ks1/users-1111/nb-10-big-Data.db"
	otherKey := e.l.NodePrefix("node2.example.com") + "data/ks1/users-1111/nb-9-big-Data.db"
	oldID, otherID := start(oldKey), start(otherKey)
	time.Sleep(5 * time.Second)
	freshID := start(freshKey)

	var logs bytes.Buffer
	d := e.deps()
	// Behind the retry decorator, as the commands build it.
	d.Storage, d.Clock = retry.New(st, retry.Policy{}), clock.System{}
	d.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	o := e.opts("b1", Differential)
	o.UploadMaxAge = 3 * time.Second
	if _, err := Run(t.Context(), d, o); err != nil {
		t.Fatalf("backup: %v\n%s", err, logs.String())
	}

	left, err := admin.ListMultipartUploads(t.Context(), &awss3.ListMultipartUploadsInput{
		Bucket: aws.String(srv.Bucket), Prefix: aws.String("uploads-cleanup/")})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, u := range left.Uploads {
		ids = append(ids, aws.ToString(u.UploadId))
	}
	if slices.Contains(ids, oldID) || !slices.Contains(ids, freshID) || !slices.Contains(ids, otherID) {
		t.Fatalf("uploads left %v: want %s (old) gone, %s (fresh) and %s (another node) kept\n%s",
			ids, oldID, freshID, otherID, logs.String())
	}
	for _, want := range []string{"Aborted 1 incomplete multipart uploads", "1 incomplete multipart uploads of this node were kept",
		"aws s3api abort-multipart-upload --endpoint-url", "--key '" + freshKey + "' --upload-id '" + freshID + "'"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	for _, u := range []struct{ key, id string }{{freshKey, freshID}, {otherKey, otherID}} {
		if _, err := admin.AbortMultipartUpload(t.Context(), &awss3.AbortMultipartUploadInput{Bucket: aws.String(srv.Bucket),
			Key: aws.String(u.key), UploadId: aws.String(u.id)}); err != nil {
			t.Error(err)
		}
	}
}
