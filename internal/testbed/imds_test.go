package testbed

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestIMDSProtocol checks the IMDSv2 rules of the fake itself (no server needed).
func TestIMDSProtocol(t *testing.T) {
	m := IMDST(t, IMDSOptions{AccessKey: "AKIAFAKE", Secret: "fake-secret", Role: "r1", Region: "eu-west-3"})
	do := func(method, path string, hdr map[string]string) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, m.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(body))
	}
	code, token := do(http.MethodPut, "/latest/api/token", map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "60"})
	if code != http.StatusOK || token == "" {
		t.Fatalf("PUT token: %d %q", code, token)
	}
	withToken := map[string]string{"X-aws-ec2-metadata-token": token}
	const creds = "/latest/meta-data/iam/security-credentials/"
	for _, tc := range []struct {
		name, method, path string
		hdr                map[string]string
		wantCode           int
		wantBody           string // substring
	}{
		{"token without TTL header", http.MethodPut, "/latest/api/token", nil, http.StatusBadRequest, ""},
		{"GET without token", http.MethodGet, creds, nil, http.StatusUnauthorized, ""},
		{"GET with a wrong token", http.MethodGet, creds, map[string]string{"X-aws-ec2-metadata-token": "nope"}, http.StatusUnauthorized, ""},
		{"role list", http.MethodGet, creds, withToken, http.StatusOK, "r1"},
		{"role credentials", http.MethodGet, creds + "r1", withToken, http.StatusOK, `"AccessKeyId":"AKIAFAKE"`},
		{"unknown role", http.MethodGet, creds + "r2", withToken, http.StatusNotFound, ""},
		{"region", http.MethodGet, "/latest/meta-data/placement/region", withToken, http.StatusOK, "eu-west-3"},
		{"identity document", http.MethodGet, "/latest/dynamic/instance-identity/document", withToken, http.StatusOK, `"region":"eu-west-3"`},
		{"POST", http.MethodPost, creds, withToken, http.StatusMethodNotAllowed, ""},
	} {
		code, body := do(tc.method, tc.path, tc.hdr)
		if code != tc.wantCode || !strings.Contains(body, tc.wantBody) {
			t.Errorf("%s: %d %q, want %d containing %q", tc.name, code, body, tc.wantCode, tc.wantBody)
		}
	}
	_, body := do(http.MethodGet, creds+"r1", withToken)
	var c map[string]string
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		t.Fatal(err)
	}
	exp, err := time.Parse(time.RFC3339, c["Expiration"])
	if c["Code"] != "Success" || c["Type"] != "AWS-HMAC" || c["SecretAccessKey"] != "fake-secret" || err != nil {
		t.Errorf("credentials document %v (expiration error %v)", c, err)
	}
	if !exp.Equal(m.LastExpiration()) {
		t.Errorf("Expiration %v, LastExpiration %v", exp, m.LastExpiration())
	}
	if m.Fetches() != 2 {
		t.Errorf("Fetches() = %d, want 2 (one per credentials GET)", m.Fetches())
	}
}

// TestIMDSCredentialsWithS3: the SDK's default chain takes the fake's
// credentials (EC2RoleProvider), signs S3 requests with them, caches them
// while valid and fetches them again once they expire.
func TestIMDSCredentialsWithS3(t *testing.T) {
	s := S3T(t)
	m := IMDST(t, IMDSOptions{AccessKey: s.Restricted.AccessKey, Secret: s.Restricted.Secret, Region: s.Region})
	m.SetenvT(t)
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	ctx := t.Context()
	client := func() *s3.Client {
		t.Helper()
		cfg, err := config.LoadDefaultConfig(ctx, config.WithEC2IMDSRegion())
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Region != s.Region {
			t.Errorf("region from IMDS = %q, want %q", cfg.Region, s.Region)
		}
		got, err := cfg.Credentials.Retrieve(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got.Source != ec2rolecreds.ProviderName {
			t.Errorf("credentials source %q, want %s", got.Source, ec2rolecreds.ProviderName)
		}
		return s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.BaseEndpoint, o.UsePathStyle = aws.String(s.Endpoint), true
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		})
	}
	c := client()
	for range 3 {
		if _, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(s.Bucket)}); err != nil {
			t.Fatalf("ListObjectsV2 with IMDS credentials: %v", err)
		}
	}
	if n := m.Fetches(); n != 1 {
		t.Errorf("credentials fetched %d times for valid (15 min) credentials, want 1", n)
	}

	// Short-lived credentials, rotated to the admin's: after expiry the SDK
	// must fetch again, and ListBuckets (denied to the restricted user) works.
	m.SetExpiry(2 * time.Second)
	c = client()
	before := m.Fetches()
	m.SetCredentials(s.Admin.AccessKey, s.Admin.Secret, "")
	time.Sleep(time.Until(m.LastExpiration()) + 100*time.Millisecond)
	if _, err := c.ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
		t.Fatalf("ListBuckets after expiry and rotation: %v", err)
	}
	if n := m.Fetches(); n <= before {
		t.Errorf("credentials fetched %d times after expiry, want more than %d", n, before)
	}
}
