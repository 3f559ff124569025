package testbed

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// MinIOVersion is the pinned MinIO server (a Go module pseudo-version);
// keep it in sync with scripts/testbed/minio/install.sh.
const MinIOVersion = "v0.0.0-20260212201848-7aac2a2c5b7c"

// MinIOKMSKey is the name of the single key of MinIO's built-in KMS, the
// key id to put in [storage] kms_id.
const MinIOKMSKey = "medusa-key"

// minioInstallTimeout bounds the lazy build of MinIO (about 5.5 minutes on
// a loaded 2-core machine).
const minioInstallTimeout = 15 * time.Minute

// MinIOServer is a MinIO server over HTTPS (a fresh CA in CAFile) with its
// built-in single-key KMS: unlike versitygw it enforces SSE-C (an object
// written with a customer key cannot be read without it) and SSE-KMS
// (objects are encrypted under the named key, and their ETags are not
// MD5s of the content).
type MinIOServer struct {
	Endpoint string // https://127.0.0.1:port
	Host     string
	Port     int
	Region   string
	Bucket   string // created at start
	Admin    Credentials
	CAFile   string
	Dir      string

	proc *Proc
}

// MinIOInstallScript returns scripts/testbed/minio/install.sh of the source
// tree this package was built from.
func MinIOInstallScript() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("minio test bed: cannot locate the source tree (runtime.Caller)")
	}
	p := filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", "scripts", "testbed", "minio", "install.sh"))
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("minio test bed: install script: %w", err)
	}
	return p, nil
}

// minioBinary returns the cached MinIO, building it first (lazily: the
// build is too slow for scripts/setup.sh) when it is missing.
func minioBinary(ctx context.Context) (string, error) {
	if bin, err := toolPath("minio", filepath.Join("bin", "minio"), MinIOVersion); err == nil {
		return bin, nil
	}
	script, err := MinIOInstallScript()
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, minioInstallTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "bash", script).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("build minio with %s: %w\n%s", script, err, out)
	}
	return toolPath("minio", filepath.Join("bin", "minio"), MinIOVersion)
}

// StartMinIO starts MinIO with its data in dir and creates DefaultBucket.
func StartMinIO(ctx context.Context, dir string) (*MinIOServer, error) {
	bin, err := minioBinary(ctx)
	if err != nil {
		return nil, err
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, err
	}
	certs := filepath.Join(dir, "certs")
	if err := os.MkdirAll(certs, 0o755); err != nil {
		return nil, err
	}
	tlsFiles, err := WriteMTLS(certs)
	if err != nil {
		return nil, err
	}
	// MinIO reads public.crt and private.key from its certs directory.
	for src, dst := range map[string]string{tlsFiles.ServerCert: "public.crt", tlsFiles.ServerKey: "private.key"} {
		if err := os.Rename(src, filepath.Join(certs, dst)); err != nil {
			return nil, err
		}
	}
	s := &MinIOServer{Host: "127.0.0.1", Region: S3Region, Dir: dir, CAFile: tlsFiles.CACert,
		Admin: Credentials{AccessKey: "medusa-admin", Secret: randomHex(20)}}
	key := make([]byte, 32)
	copy(key, randomHex(16))
	env := []string{"MINIO_ROOT_USER=" + s.Admin.AccessKey, "MINIO_ROOT_PASSWORD=" + s.Admin.Secret,
		"MINIO_KMS_SECRET_KEY=" + MinIOKMSKey + ":" + base64.StdEncoding.EncodeToString(key),
		"MINIO_BROWSER=off", "MINIO_UPDATE=off", "MINIO_REGION=" + s.Region, "HOME=" + dir}
	s.proc, s.Port, err = startOnFreePort(func(port int) (*Proc, error) {
		return startAndWait(ctx, ProcSpec{Name: "minio", Path: bin, Env: env, Dir: dir,
			Args: []string{"server", "--quiet", "--address", hostPort(port), "--certs-dir", certs,
				filepath.Join(dir, "data")}}, port, "")
	})
	if err != nil {
		return nil, err
	}
	s.Endpoint = fmt.Sprintf("https://%s", hostPort(s.Port))
	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	s.Bucket = DefaultBucket
	return s, nil
}

// waitReady creates DefaultBucket, retrying while MinIO is still
// initialising (it accepts connections before it serves requests).
func (s *MinIOServer) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(s3StartTimeout)
	for {
		_, err := s.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(DefaultBucket)})
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return s.proc.failure(fmt.Errorf("create bucket %s on minio: %w", DefaultBucket, err))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// MinIOT starts MinIO for a test (see startT), building it first if the
// cache lacks it.
func MinIOT(t testing.TB) *MinIOServer {
	t.Helper()
	return startT(t, "an S3 server that enforces SSE (MinIO)", StartMinIO)
}

// Stop kills the server; the data directory stays (tests use a temp dir).
func (s *MinIOServer) Stop() { s.proc.Stop() }

// HTTPClient is an HTTP client that trusts the server's CA.
func (s *MinIOServer) HTTPClient() *http.Client {
	pool := x509.NewCertPool()
	if pem, err := os.ReadFile(s.CAFile); err == nil {
		pool.AppendCertsFromPEM(pem)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: tr}
}

// Client is an S3 client for the root user, path style, over HTTPS.
func (s *MinIOServer) Client() *s3.Client {
	return s3.New(s3.Options{
		Region:                     s.Region,
		BaseEndpoint:               aws.String(s.Endpoint),
		UsePathStyle:               true,
		HTTPClient:                 s.HTTPClient(),
		Credentials:                credentials.NewStaticCredentialsProvider(s.Admin.AccessKey, s.Admin.Secret, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}

// WriteKeyFile writes the root user's credentials as an AWS
// shared-credentials file (Medusa's key_file), mode 0600.
func (s *MinIOServer) WriteKeyFile(path string) error {
	content := fmt.Sprintf("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n", s.Admin.AccessKey, s.Admin.Secret)
	return os.WriteFile(path, []byte(content), 0o600)
}
