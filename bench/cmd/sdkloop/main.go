// Command sdkloop is the benchmark's "practical limit": a minimal program
// that moves a list of files to or from S3 with aws-sdk-go-v2 (the SDK
// medusa uses) and nothing else: no snapshot, no manifest, no HEAD after an
// upload, no hashing beyond what the SDK does to sign a request.
//
// Uploads use the same scheme as medusa's S3 backend: one PutObject below
// -threshold, else a multipart upload whose parts (-part-size, -parts in
// flight) are read straight from the file (io.SectionReader), so nothing is
// buffered. Downloads stream GetObject into the destination file; -mode
// hash streams it into an MD5 and writes nothing (what checking a stored
// object's content costs: the baseline of `medusa verify --deep`). -c
// files are in flight at once (medusa's concurrent_transfers).
//
// The list file has one "<local path>\t<key>" line per file. Credentials
// come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (never from flags,
// which other users can read in /proc).
package main

import (
	"bufio"
	"context"
	"crypto/md5"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"
)

type options struct {
	mode      string
	list      string
	endpoint  string
	bucket    string
	region    string
	files     int
	parts     int
	partSize  int64
	threshold int64
	unsigned  bool
	md5       bool
	fsync     bool
}

func main() {
	var o options
	flag.StringVar(&o.mode, "mode", "up", "up (upload), down (download) or hash (download into an MD5, nothing written)")
	flag.StringVar(&o.list, "list", "", `file of "<local path>\t<key>" lines`)
	flag.StringVar(&o.endpoint, "endpoint", "", "S3 endpoint, e.g. http://127.0.0.1:7070 (path style)")
	flag.StringVar(&o.bucket, "bucket", "", "bucket")
	flag.StringVar(&o.region, "region", "us-east-1", "region")
	flag.IntVar(&o.files, "c", 1, "files in flight")
	flag.IntVar(&o.parts, "parts", 4, "parts in flight per file (uploads)")
	flag.Int64Var(&o.partSize, "part-size", 50<<20, "multipart part size in bytes")
	flag.Int64Var(&o.threshold, "threshold", 20<<20, "multipart threshold in bytes")
	flag.BoolVar(&o.unsigned, "unsigned-payload", false,
		"send UNSIGNED-PAYLOAD instead of signing each body's SHA-256 (medusa signs over plain HTTP)")
	flag.BoolVar(&o.md5, "md5", false, "downloads: also compute the MD5 of every byte (what verifying them costs)")
	flag.BoolVar(&o.fsync, "fsync", false, "downloads: fsync every file before closing it (what a durable restore costs)")
	flag.Parse()
	began := time.Now()
	n, bytes, err := run(context.Background(), o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdkloop:", err)
		os.Exit(1)
	}
	secs := time.Since(began).Seconds()
	fmt.Printf("sdkloop %s: %d files, %d bytes in %.2fs (%.1f MB/s)\n", o.mode, n, bytes, secs, float64(bytes)/secs/1e6)
}

type entry struct{ path, key string }

func run(ctx context.Context, o options) (int, int64, error) {
	entries, err := readList(o.list)
	if err != nil {
		return 0, 0, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = o.files*o.parts + 10
	client := s3.New(s3.Options{
		Region:                     o.region,
		BaseEndpoint:               aws.String(o.endpoint),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		HTTPClient:                 &http.Client{Transport: tr},
	})
	l := &loop{o: o, c: client}
	if o.unsigned {
		l.extra = []func(*s3.Options){s3.WithAPIOptions(v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)}
	}
	sizes := make([]int64, len(entries))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.files)
	for i, e := range entries {
		g.Go(func() error {
			var err error
			switch o.mode {
			case "down":
				sizes[i], err = l.download(gctx, e)
			case "hash":
				sizes[i], err = l.hash(gctx, e)
			default:
				sizes[i], err = l.upload(gctx, e)
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return 0, 0, err
	}
	var total int64
	for _, s := range sizes {
		total += s
	}
	return len(entries), total, nil
}

func readList(path string) ([]entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []entry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p, k, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			return nil, fmt.Errorf("%s: bad line %q", path, sc.Text())
		}
		out = append(out, entry{p, k})
	}
	return out, sc.Err()
}

type loop struct {
	o     options
	c     *s3.Client
	extra []func(*s3.Options)
}

func (l *loop) upload(ctx context.Context, e entry) (int64, error) {
	f, err := os.Open(e.path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	size := fi.Size()
	if size < l.o.threshold {
		_, err = l.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &l.o.bucket, Key: &e.key,
			Body: io.NewSectionReader(f, 0, size), ContentLength: aws.Int64(size)}, l.extra...)
		return size, err
	}
	up, err := l.c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &l.o.bucket, Key: &e.key})
	if err != nil {
		return 0, err
	}
	nparts := int((size + l.o.partSize - 1) / l.o.partSize)
	parts := make([]types.CompletedPart, nparts)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(l.o.parts)
	for i := range nparts {
		g.Go(func() error {
			off := int64(i) * l.o.partSize
			n := min(l.o.partSize, size-off)
			out, err := l.c.UploadPart(gctx, &s3.UploadPartInput{Bucket: &l.o.bucket, Key: &e.key, UploadId: up.UploadId,
				PartNumber: aws.Int32(int32(i + 1)), Body: io.NewSectionReader(f, off, n), ContentLength: aws.Int64(n)}, l.extra...)
			if err == nil {
				parts[i] = types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(int32(i + 1))}
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	_, err = l.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &l.o.bucket, Key: &e.key,
		UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	return size, err
}

// hash streams the object into an MD5 (the sum itself is not needed).
func (l *loop) hash(ctx context.Context, e entry) (int64, error) {
	out, err := l.c.GetObject(ctx, &s3.GetObjectInput{Bucket: &l.o.bucket, Key: &e.key})
	if err != nil {
		return 0, fmt.Errorf("get %s: %w", e.key, err)
	}
	defer out.Body.Close()
	return io.Copy(md5.New(), out.Body)
}

func (l *loop) download(ctx context.Context, e entry) (int64, error) {
	out, err := l.c.GetObject(ctx, &s3.GetObjectInput{Bucket: &l.o.bucket, Key: &e.key})
	if err != nil {
		return 0, fmt.Errorf("get %s: %w", e.key, err)
	}
	defer out.Body.Close()
	if err := os.MkdirAll(filepath.Dir(e.path), 0o755); err != nil {
		return 0, err
	}
	f, err := os.Create(e.path)
	if err != nil {
		return 0, err
	}
	var w io.Writer = f
	if l.o.md5 {
		w = io.MultiWriter(f, md5.New()) // the sum itself is not needed
	}
	n, err := io.Copy(w, out.Body)
	if err == nil && l.o.fsync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}
