package testbed

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3 server defaults.
const (
	S3Region        = "us-east-1"
	S3VirtualDomain = "s3.localhost" // *.localhost does not resolve here: dial through S3Server.DialContext
	DefaultBucket   = "medusa-test"
	// RestrictedUserName is the IAM user that holds Medusa's
	// MedusaStorageStrategy policy (see RestrictedPolicy).
	RestrictedUserName   = "medusa-backup"
	restrictedPolicyName = "MedusaStorageStrategy"
	s3StartTimeout       = 30 * time.Second
)

// Credentials is an access key and its secret. Printing it hides the secret.
type Credentials struct {
	AccessKey string
	Secret    string
}

func (c Credentials) String() string   { return "{AccessKey:" + c.AccessKey + " Secret:REDACTED}" }
func (c Credentials) GoString() string { return "testbed.Credentials" + c.String() }

// S3Server is a versitygw S3 gateway over a POSIX directory, with its
// standalone IAM service holding two users:
//   - Admin, the root account, with every right;
//   - Restricted, the IAM user RestrictedUserName, whose only rights are the
//     MedusaStorageStrategy identity policy of Medusa's AWS guide (RestrictedPolicy) over
//     the buckets made with NewBucket (Bucket included).
type S3Server struct {
	Endpoint      string // http://127.0.0.1:port (path style)
	Host          string // 127.0.0.1
	Port          int
	Region        string
	VirtualDomain string // virtual-host style base domain: http://<bucket>.s3.localhost:port
	Bucket        string // created at start
	Admin         Credentials
	Restricted    Credentials
	IAMEndpoint   string // IAM Query API (SigV4 service "iam"), for more users
	Dir           string

	iamProc, gwProc *Proc
	sockDir         string // temporary dir for the IAM socket, when Dir is too long for one
	mu              sync.Mutex
	buckets         []string
}

// StartS3 starts versitygw with its data in dir, creates the restricted user
// and the bucket DefaultBucket. ctx bounds the start only; Stop ends the
// servers. The binary comes from the cache (see InstallScript).
func StartS3(ctx context.Context, dir string) (*S3Server, error) {
	bin, err := toolPath("versitygw", filepath.Join("bin", "versitygw"), VersitygwVersion)
	if err != nil {
		return nil, err
	}
	if dir, err = filepath.Abs(dir); err != nil { // versitygw wants absolute paths
		return nil, err
	}
	for _, d := range []string{"iam", "data"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	s := &S3Server{
		Host: "127.0.0.1", Region: S3Region, VirtualDomain: S3VirtualDomain, Dir: dir,
		Admin: Credentials{AccessKey: "medusa-admin", Secret: randomHex(20)},
	}
	if err := s.start(ctx, bin); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// S3T starts an S3 server for a test (see startT for the contract).
func S3T(t testing.TB) *S3Server {
	t.Helper()
	return startT(t, "an S3 server (versitygw)", StartS3)
}

func (s *S3Server) start(ctx context.Context, bin string) error {
	sock, err := s.socketPath()
	if err != nil {
		return err
	}
	_ = os.Remove(sock)
	env := []string{"ROOT_ACCESS_KEY_ID=" + s.Admin.AccessKey, "ROOT_SECRET_ACCESS_KEY=" + s.Admin.Secret}
	spec := func(name string, port int, args ...string) ProcSpec {
		return ProcSpec{Name: name, Path: bin, Env: env, Dir: s.Dir,
			Args: append([]string{"--port", hostPort(port), "--region", s.Region}, args...)}
	}
	var iamPort int
	s.iamProc, iamPort, err = startOnFreePort(func(port int) (*Proc, error) {
		return startAndWait(ctx, spec("versitygw-iam", port,
			"iam", "--dir", filepath.Join(s.Dir, "iam"), "--private-ports", sock), port, sock)
	})
	if err != nil {
		return err
	}
	s.IAMEndpoint = "http://" + hostPort(iamPort)
	s.gwProc, s.Port, err = startOnFreePort(func(port int) (*Proc, error) {
		return startAndWait(ctx, spec("versitygw", port,
			"--iam-standalone-endpoint", sock, "--virtual-domain", s.VirtualDomain,
			"posix", filepath.Join(s.Dir, "data")), port, "")
	})
	if err != nil {
		return err
	}
	s.Endpoint = "http://" + hostPort(s.Port)
	return s.setupUsers(ctx)
}

// startAndWait starts spec and waits for its port (and socket file, if any).
func startAndWait(ctx context.Context, spec ProcSpec, port int, sock string) (*Proc, error) {
	p, err := StartProc(spec)
	if err != nil {
		return nil, err
	}
	err = p.WaitTCP(ctx, hostPort(port), s3StartTimeout)
	for i := 0; err == nil && sock != ""; i++ {
		if _, serr := os.Stat(sock); serr == nil {
			break
		} else if i == 200 {
			err = p.failure(fmt.Errorf("socket %s not created: %w", sock, serr))
		}
		time.Sleep(25 * time.Millisecond)
	}
	if err != nil {
		p.Stop()
		return p, err
	}
	return p, nil
}

// socketPath is where the IAM service listens for the gateway: in Dir when
// the path fits a unix socket address (108 bytes), else in a short temp dir.
func (s *S3Server) socketPath() (string, error) {
	sock := filepath.Join(s.Dir, "iam.sock")
	if len(sock) < 100 {
		return sock, nil
	}
	d, err := os.MkdirTemp("", "medusa-vgw-")
	if err != nil {
		return "", err
	}
	s.sockDir = d
	return filepath.Join(d, "iam.sock"), nil
}

// setupUsers creates the restricted user, its access key and DefaultBucket.
func (s *S3Server) setupUsers(ctx context.Context) error {
	iam := s.iam()
	if err := iam.call(ctx, "CreateUser", map[string]string{"UserName": RestrictedUserName}, nil); err != nil {
		return err
	}
	var key createAccessKeyResponse
	if err := iam.call(ctx, "CreateAccessKey", map[string]string{"UserName": RestrictedUserName}, &key); err != nil {
		return err
	}
	s.Restricted = Credentials{AccessKey: key.AccessKey.AccessKeyID, Secret: key.AccessKey.SecretAccessKey}
	if err := s.NewBucket(ctx, DefaultBucket); err != nil {
		return err
	}
	s.Bucket = DefaultBucket
	return nil
}

// Stop kills both servers. The data directory stays (tests use a temp dir).
func (s *S3Server) Stop() {
	s.gwProc.Stop()
	s.iamProc.Stop()
	if s.sockDir != "" {
		_ = os.RemoveAll(s.sockDir)
	}
}

// NewBucket creates bucket name (as Admin) and extends the restricted user's
// policy to it.
func (s *S3Server) NewBucket(ctx context.Context, name string) error {
	return s.newBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
}

// NewLockedBucket is NewBucket for a bucket created with S3 Object Lock
// enabled (and no default retention).
func (s *S3Server) NewLockedBucket(ctx context.Context, name string) error {
	return s.newBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name), ObjectLockEnabledForBucket: aws.Bool(true)})
}

func (s *S3Server) newBucket(ctx context.Context, in *s3.CreateBucketInput) error {
	name := aws.ToString(in.Bucket)
	s.mu.Lock()
	defer s.mu.Unlock()
	buckets := append(slices.Clone(s.buckets), name)
	doc, err := RestrictedPolicy(buckets...)
	if err != nil {
		return err
	}
	if _, err := s.Client(s.Admin).CreateBucket(ctx, in); err != nil {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	err = s.iam().call(ctx, "PutUserPolicy", map[string]string{
		"UserName": RestrictedUserName, "PolicyName": restrictedPolicyName, "PolicyDocument": doc,
	}, nil)
	if err != nil {
		return fmt.Errorf("grant %s on bucket %s: %w", RestrictedUserName, name, err)
	}
	s.buckets = buckets
	return nil
}

// WriteKeyFile writes c as an AWS shared-credentials file (Medusa's
// key_file), mode 0600.
func (s *S3Server) WriteKeyFile(path string, c Credentials) error {
	content := fmt.Sprintf("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n", c.AccessKey, c.Secret)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	return nil
}

// VirtualHostEndpoint is the endpoint for virtual-host style requests,
// http://s3.localhost:port. Clients must dial with DialContext.
func (s *S3Server) VirtualHostEndpoint() string {
	return fmt.Sprintf("http://%s:%d", s.VirtualDomain, s.Port)
}

// DialContext connects to the server whatever address is asked for, so that
// <bucket>.s3.localhost names need no DNS.
func (s *S3Server) DialContext(ctx context.Context, network, _ string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, hostPort(s.Port))
}

// HTTPClient is an HTTP client that reaches the server for any host name.
func (s *S3Server) HTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = s.DialContext
	return &http.Client{Transport: tr}
}

// Client is an S3 client for c, path style, with flexible checksums only
// when required (the usual setting for S3-compatible servers).
func (s *S3Server) Client(c Credentials) *s3.Client {
	return s3.New(s.clientOptions(c))
}

// VirtualHostClient is like Client, but addresses buckets virtual-host style
// (<bucket>.s3.localhost), dialling the server directly.
func (s *S3Server) VirtualHostClient(c Credentials) *s3.Client {
	o := s.clientOptions(c)
	o.BaseEndpoint = aws.String(s.VirtualHostEndpoint())
	o.UsePathStyle = false
	o.HTTPClient = s.HTTPClient()
	return s3.New(o)
}

func (s *S3Server) clientOptions(c Credentials) s3.Options {
	return s3.Options{
		Region:                     s.Region,
		BaseEndpoint:               aws.String(s.Endpoint),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(c.AccessKey, c.Secret, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
}

// iam is a client of the IAM Query API, signed as Admin.
func (s *S3Server) iam() *iamClient {
	return &iamClient{endpoint: s.IAMEndpoint, region: s.Region, creds: s.Admin}
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
