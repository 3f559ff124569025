package s3

import (
	"context"
	"encoding/base64"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

func TestResolveRegion(t *testing.T) {
	tests := []struct {
		provider, region string
		want             string
		wantErr          bool
	}{
		{"s3", "default", "us-east-1", false},
		{"s3", "", "us-east-1", false},
		{"s3", "eu-west-3", "eu-west-3", false},
		{"s3_compatible", "default", "us-east-1", false},
		{"s3_compatible", "garage", "garage", false},
		{"s3_rgw", "default", "us-east-1", false}, // Medusa raised "Unknown provider name"
		{"s3_rgw", "zonegroup-a", "zonegroup-a", false},
		{"ibm_storage", "default", "us-east-1", false},
		{"s3_us_west_oregon", "default", "us-west-2", false},
		{"S3_US_WEST_OREGON", "default", "us-west-2", false},
		{"s3_us_west_oregon", "eu-central-1", "eu-central-1", false},
		{"s3_us_east", "default", "us-east-1", false},
		{"s3_us_east2", "default", "us-east-2", false},
		{"s3_us_east_2", "default", "us-east-2", false}, // libcloud spelling
		{"s3_us_west", "default", "us-west-1", false},
		{"s3_us_gov_west", "default", "us-gov-west-1", false},
		{"s3_eu_west", "default", "eu-west-1", false},
		{"s3_eu_west2", "default", "eu-west-2", false},
		{"s3_eu_central", "default", "eu-central-1", false},
		{"s3_eu_north1", "default", "eu-north-1", false},
		{"s3_ap_south", "default", "ap-south-1", false},
		{"s3_ap_southeast", "default", "ap-southeast-1", false},
		{"s3_ap_southeast2", "default", "ap-southeast-2", false},
		{"s3_ap_northeast", "default", "ap-northeast-1", false},
		{"s3_ap_northeast_2", "default", "ap-northeast-2", false},
		{"s3_sa_east", "default", "sa-east-1", false},
		{"s3_ca_central", "default", "ca-central-1", false},
		{"s3_cn_north", "default", "cn-north-1", false},
		{"s3_cn_northwest", "default", "cn-northwest-1", false},
		{"s3_af_south", "default", "af-south-1", false},
		{"s3_me_south", "default", "me-south-1", false},
		{"s3_mars_north", "default", "", true},
		{"s3_rgw_outscale", "default", "", true},
	}
	for _, tc := range tests {
		got, err := ResolveRegion(tc.provider, tc.region)
		if tc.wantErr {
			if err == nil || !strings.Contains(err.Error(), tc.provider) {
				t.Errorf("ResolveRegion(%q, %q) = %q, %v; want an error naming the provider", tc.provider, tc.region, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ResolveRegion(%q, %q) = %q, %v; want %q", tc.provider, tc.region, got, err, tc.want)
		}
	}
}

func TestParseProvider(t *testing.T) {
	tests := []struct {
		in      string
		want    providerKind
		wantErr bool
	}{
		{"s3", kindAWS, false}, {"S3", kindAWS, false}, {"s3_us_west_oregon", kindAWS, false},
		{"s3_compatible", kindCompatible, false}, {"ibm_storage", kindCompatible, false},
		{"s3_rgw", kindRGW, false}, {"google_storage", 0, true}, {"local", 0, true}, {"", 0, true},
	}
	for _, tc := range tests {
		got, err := parseProvider(tc.in)
		if (err != nil) != tc.wantErr || (!tc.wantErr && got != tc.want) {
			t.Errorf("parseProvider(%q) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestEndpointURL(t *testing.T) {
	tests := []struct {
		kind    providerKind
		host    string
		port    int
		secure  bool
		want    string
		wantErr bool
	}{
		{kindAWS, "ignored.example.com", 9000, false, "", false},
		{kindCompatible, "minio.local", 9000, false, "http://minio.local:9000", false},
		{kindCompatible, "minio.local", 9000, true, "https://minio.local:9000", false},
		{kindCompatible, "s3.example.com", 0, true, "https://s3.example.com", false}, // Medusa made "https://host:"
		{kindRGW, "rgw.local", 7480, false, "http://rgw.local:7480", false},          // Medusa ignored host/port for s3_rgw
		{kindRGW, "rgw.local", 443, true, "https://rgw.local:443", false},
		{kindCompatible, "::1", 9000, false, "http://[::1]:9000", false},
		{kindCompatible, "::1", 0, false, "http://[::1]", false},
		{kindCompatible, "", 9000, false, "", true},
		{kindCompatible, "http://minio.local", 9000, false, "", true},
		{kindCompatible, "minio.local/path", 9000, false, "", true},
		{kindCompatible, "minio.local", 70000, false, "", true},
	}
	for _, tc := range tests {
		got, err := endpointURL(tc.kind, tc.host, tc.port, tc.secure)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("endpointURL(%v, %q, %d, %v) = %q, %v; want %q (error %v)", tc.kind, tc.host, tc.port, tc.secure, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestUsePathStyle(t *testing.T) {
	tests := []struct {
		kind    providerKind
		style   string
		want    bool
		wantErr bool
	}{
		{kindAWS, "auto", false, false}, {kindAWS, "", false, false}, {kindAWS, "path", true, false},
		{kindCompatible, "auto", true, false}, {kindCompatible, "virtual", false, false},
		{kindRGW, "", true, false}, {kindAWS, "sideways", false, true},
	}
	for _, tc := range tests {
		got, err := usePathStyle(tc.kind, tc.style)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("usePathStyle(%v, %q) = %v, %v; want %v (error %v)", tc.kind, tc.style, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	short := base64.StdEncoding.EncodeToString([]byte("sixteen byte key"))
	tests := []struct {
		name    string
		o       Options
		wantErr string
	}{
		{"no bucket", Options{Provider: "s3"}, "bucket_name"},
		{"slash in bucket", Options{Provider: "s3", Bucket: "a/b"}, "bucket_name"},
		{"not s3", Options{Provider: "azure_blobs", Bucket: "b"}, "not an S3 provider"},
		{"unknown legacy region", Options{Provider: "s3_moon", Bucket: "b"}, `"s3_moon"`},
		{"compatible without host", Options{Provider: "s3_compatible", Bucket: "b"}, "host is required"},
		{"bad addressing", Options{Provider: "s3", Bucket: "b", AddressingStyle: "dns"}, "s3_addressing_style"},
		{"SSE-C not base64", Options{Provider: "s3", Bucket: "b", SSECKey: "not base64!"}, "sse_c_key is not valid base64"},
		{"SSE-C too short", Options{Provider: "s3", Bucket: "b", SSECKey: short}, "16 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(t.Context(), tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("New: %v, want an error containing %q", err, tc.wantErr)
			}
			if tc.o.SSECKey != "" && strings.Contains(err.Error(), tc.o.SSECKey) {
				t.Errorf("error leaks the SSE-C key: %v", err)
			}
		})
	}
}

// TestVirtualHostStyle sends a request to <bucket>.<host>:port through a
// custom dialer, as s3_addressing_style = virtual asks.
func TestVirtualHostStyle(t *testing.T) {
	f := newFakeS3(t, "vbucket")
	addr := strings.TrimPrefix(f.srv.URL, "http://")
	_, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	b := newFakeBackend(t, f, func(o *Options) {
		o.Host, o.Port, o.AddressingStyle = "s3.localhost", p, "virtual"
		o.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}
	})
	if _, err := b.Put(t.Context(), "dir/obj", strings.NewReader("v")); err != nil {
		t.Fatal(err)
	}
	for _, r := range f.ops() {
		if r.Host != "vbucket.s3.localhost:"+port {
			t.Errorf("%s sent to host %q, want vbucket.s3.localhost:%s", r.Op, r.Host, port)
		}
	}
	if got, ok := f.object("dir/obj"); !ok || string(got) != "v" {
		t.Errorf("object not stored under its key in virtual-host style")
	}
}

// TestSSLVerify talks to a TLS endpoint with a self-signed certificate:
// ssl_verify = false accepts it, true refuses it with a hint.
func TestSSLVerify(t *testing.T) {
	f := newFakeS3(t, "tls")
	ts := httptest.NewUnstartedServer(f.srv.Config.Handler)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	ts.StartTLS()
	t.Cleanup(ts.Close)
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(ts.URL, "https://"))
	p, _ := strconv.Atoi(port)
	for _, verify := range []bool{false, true} {
		b := newFakeBackend(t, f, func(o *Options) { o.Host, o.Port, o.Secure, o.SSLVerify = host, p, true, verify })
		_, err := b.Put(t.Context(), "k", strings.NewReader("v"))
		if !verify && err != nil {
			t.Errorf("ssl_verify=false: %v", err)
		}
		if verify && (err == nil || !strings.Contains(err.Error(), "ssl_verify")) {
			t.Errorf("ssl_verify=true with an unknown CA: %v, want a certificate error naming ssl_verify", err)
		}
	}
	// Over TLS, payloads are not signed (one read of each body, like boto3).
	for _, r := range f.ops() {
		if r.Op == "put" && r.Header.Get("X-Amz-Content-Sha256") != "UNSIGNED-PAYLOAD" {
			t.Errorf("PutObject over TLS with x-amz-content-sha256 %q", r.Header.Get("X-Amz-Content-Sha256"))
		}
	}
}
