package testbed

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// IMDSOptions configures the fake EC2 instance-metadata service.
type IMDSOptions struct {
	// Credentials handed out for the instance role (e.g. S3Server.Restricted).
	AccessKey, Secret string
	// SessionToken handed out with them; empty by default, since the S3
	// server checks a non-empty token as an STS session.
	SessionToken string
	Role         string        // role name; default "medusa-role"
	Region       string        // default S3Region
	Expiry       time.Duration // lifetime of each credential set; default 15 minutes
	// Now is the clock used for LastUpdated/Expiration; default time.Now.
	Now func() time.Time
}

// IMDS is an in-process fake of the EC2 instance-metadata service (IMDSv2):
// PUT /latest/api/token (needs X-aws-ec2-metadata-token-ttl-seconds) hands
// out a token that every GET must carry in X-aws-ec2-metadata-token.
// It serves the role name and its credentials under
// /latest/meta-data/iam/security-credentials/, the region under
// /latest/meta-data/placement/region and the identity document under
// /latest/dynamic/instance-identity/document.
type IMDS struct {
	URL string // http://127.0.0.1:port; AWS_EC2_METADATA_SERVICE_ENDPOINT

	srv     *httptest.Server
	mu      sync.Mutex
	opts    IMDSOptions
	tokens  map[string]bool
	fetches int
	lastExp time.Time
}

// StartIMDS starts the fake on 127.0.0.1.
func StartIMDS(opts IMDSOptions) (*IMDS, error) {
	if opts.Role == "" {
		opts.Role = "medusa-role"
	}
	if opts.Region == "" {
		opts.Region = S3Region
	}
	if opts.Expiry <= 0 {
		opts.Expiry = 15 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start IMDS: %w", err)
	}
	m := &IMDS{opts: opts, tokens: map[string]bool{}}
	m.srv = httptest.NewUnstartedServer(http.HandlerFunc(m.serve))
	m.srv.Listener.Close()
	m.srv.Listener = l
	m.srv.Start()
	m.URL = m.srv.URL
	return m, nil
}

// IMDST starts the fake for a test and stops it when the test ends. It needs
// no external server, so it runs under -short too.
func IMDST(t testing.TB, opts IMDSOptions) *IMDS {
	t.Helper()
	m, err := StartIMDS(opts)
	if err != nil {
		t.Fatalf("start fake IMDS: %v", err)
	}
	t.Cleanup(m.Stop)
	return m
}

// Stop shuts the server down.
func (m *IMDS) Stop() { m.srv.Close() }

// Fetches is how many times the role credentials were handed out.
func (m *IMDS) Fetches() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.fetches
}

// LastExpiration is the Expiration of the credentials handed out last.
func (m *IMDS) LastExpiration() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lastExp
}

// SetCredentials changes the credentials handed out from now on (rotation).
func (m *IMDS) SetCredentials(accessKey, secret, sessionToken string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.opts.AccessKey, m.opts.Secret, m.opts.SessionToken = accessKey, secret, sessionToken
}

// SetExpiry changes the lifetime of the credentials handed out from now on.
func (m *IMDS) SetExpiry(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.opts.Expiry = d
}

// Env is the environment under which the AWS SDK's default chain takes its
// credentials from this fake: no static keys, no profile, shared files
// pointing at missingDir/<name> (which must not exist), no web identity or
// container credentials.
func (m *IMDS) Env(missingDir string) []string {
	return []string{
		"AWS_EC2_METADATA_SERVICE_ENDPOINT=" + m.URL,
		"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv4",
		"AWS_EC2_METADATA_DISABLED=false",
		"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_SESSION_TOKEN=", "AWS_PROFILE=",
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(missingDir, "no-credentials"),
		"AWS_CONFIG_FILE=" + filepath.Join(missingDir, "no-config"),
		"AWS_WEB_IDENTITY_TOKEN_FILE=", "AWS_ROLE_ARN=",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=", "AWS_CONTAINER_CREDENTIALS_FULL_URI=",
	}
}

// SetenvT applies Env for the rest of the test (t.Setenv: not with t.Parallel).
func (m *IMDS) SetenvT(t testing.TB) {
	t.Helper()
	for _, kv := range m.Env(t.TempDir()) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

func (m *IMDS) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/latest/api/token" {
		m.serveToken(w, r)
		return
	}
	if r.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	m.mu.Lock()
	valid := m.tokens[r.Header.Get("X-aws-ec2-metadata-token")]
	opts := m.opts
	m.mu.Unlock()
	if !valid {
		http.Error(w, "missing or invalid X-aws-ec2-metadata-token", http.StatusUnauthorized)
		return
	}
	const creds = "/latest/meta-data/iam/security-credentials/"
	switch p := r.URL.Path; {
	case p == creds:
		fmt.Fprint(w, opts.Role)
	case p == creds+opts.Role:
		m.serveCredentials(w)
	case p == "/latest/meta-data/placement/region":
		fmt.Fprint(w, opts.Region)
	case p == "/latest/dynamic/instance-identity/document":
		writeJSON(w, map[string]string{
			"region": opts.Region, "availabilityZone": opts.Region + "a", "instanceId": "i-0123456789abcdef0",
			"accountId": "000000000000", "instanceType": "m5.large", "architecture": "x86_64",
			"imageId": "ami-0123456789abcdef0", "privateIp": "127.0.0.1", "version": "2017-09-30",
		})
	default:
		http.NotFound(w, r)
	}
}

func (m *IMDS) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	ttl, err := strconv.Atoi(r.Header.Get("X-aws-ec2-metadata-token-ttl-seconds"))
	if err != nil || ttl < 1 || ttl > 21600 {
		http.Error(w, "missing or invalid X-aws-ec2-metadata-token-ttl-seconds", http.StatusBadRequest)
		return
	}
	token := randomHex(16)
	m.mu.Lock()
	m.tokens[token] = true
	m.mu.Unlock()
	w.Header().Set("X-aws-ec2-metadata-token-ttl-seconds", strconv.Itoa(ttl))
	fmt.Fprint(w, token)
}

func (m *IMDS) serveCredentials(w http.ResponseWriter) {
	m.mu.Lock()
	now := m.opts.Now().UTC()
	exp := now.Add(m.opts.Expiry).Truncate(time.Second) // RFC3339 below has whole seconds
	m.fetches++
	m.lastExp = exp
	opts := m.opts
	m.mu.Unlock()
	writeJSON(w, map[string]string{
		"Code": "Success", "LastUpdated": now.Format(time.RFC3339), "Type": "AWS-HMAC",
		"AccessKeyId": opts.AccessKey, "SecretAccessKey": opts.Secret, "Token": opts.SessionToken,
		"Expiration": exp.Format(time.RFC3339),
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
