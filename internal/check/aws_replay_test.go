package check

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// The test S3 server (versitygw) implements neither public access blocks
// (bucket or account), nor bucket policy status, nor default encryption,
// and has no STS. These tests run the real AWS SDK clients against an
// httptest server that answers with AWS's documented XML (S3 API
// Reference: GetPublicAccessBlock, GetBucketPolicyStatus, GetBucketAcl,
// GetBucketEncryption, GetBucketVersioning, GetObjectLockConfiguration,
// HeadBucket; S3 Control GetPublicAccessBlock, through this package's S3Control;
// STS GetCallerIdentity),
// so the checks are tested against recorded AWS answers, not against a
// live account.

const s3NS = `xmlns="http://s3.amazonaws.com/doc/2006-03-01/"`

type answer struct {
	status int
	body   string
	header map[string]string
}

func xmlOK(body string) answer {
	return answer{status: 200, body: `<?xml version="1.0" encoding="UTF-8"?>` + body}
}

func s3Error(status int, code, msg string) answer {
	return answer{status: status, body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>` + code + `</Code><Message>` + msg +
		`</Message><RequestId>4442587FB7D0A2F9</RequestId><HostId>ZGVtbw==</HostId></Error>`}
}

func controlErrorAnswer(status int, code, msg string) answer {
	return answer{status: status, body: `<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Code>` + code +
		`</Code><Message>` + msg + `</Message><AccountId>123456789012</AccountId></Error><RequestId>656c76696e6727732072</RequestId><HostId>ZGVtbw==</HostId></ErrorResponse>`}
}

var (
	callerIdentity = xmlOK(`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
		`<Arn>arn:aws:iam::123456789012:user/medusa-backup</Arn><UserId>AIDACKCEVSQ6C2EXAMPLE</UserId><Account>123456789012</Account>` +
		`</GetCallerIdentityResult><ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
	blockAll = `<BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls>` +
		`<BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets>`
	denied = s3Error(403, "AccessDenied", "Access Denied")
)

// awsReplay serves answers by API name: "HeadBucket", "location",
// "versioning", "object-lock", "publicAccessBlock", "policyStatus", "acl",
// "encryption", "sts", "control".
func awsReplay(t *testing.T, answers map[string]answer) (*S3, *[]string) {
	t.Helper()
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api := ""
		switch {
		case strings.HasPrefix(r.URL.Path, "/v20180820/configuration/publicAccessBlock"):
			api = "control"
			if r.Header.Get("X-Amz-Account-Id") != "123456789012" {
				t.Errorf("S3 Control request for account %q", r.Header.Get("X-Amz-Account-Id"))
			}
		case r.Method == http.MethodPost:
			body, _ := io.ReadAll(r.Body)
			if strings.Contains(string(body), "Action=GetCallerIdentity") {
				api = "sts"
			}
		case r.Method == http.MethodHead && r.URL.Path == "/medusa-bucket":
			api = "HeadBucket"
		default:
			for q := range r.URL.Query() {
				api = q
			}
		}
		seen = append(seen, api)
		a, ok := answers[api]
		if !ok {
			a = s3Error(501, "NotImplemented", "not recorded: "+api)
		}
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(a.status)
		if r.Method != http.MethodHead {
			_, _ = io.WriteString(w, a.body)
		}
	}))
	t.Cleanup(srv.Close)
	// Every host name (<account>.s3-control..., the bucket) reaches srv.
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
	}}}
	creds := credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "")
	endpoint := aws.String("http://aws.test")
	s := &S3{
		API: s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: endpoint, UsePathStyle: true, Credentials: creds, HTTPClient: hc,
			Retryer: aws.NopRetryer{}}),
		Identity: sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: endpoint, Credentials: creds, HTTPClient: hc, Retryer: aws.NopRetryer{}}),
		Account:  &S3Control{Region: "us-east-1", Endpoint: "http://123456789012.s3-control.aws.test", Credentials: creds, HTTP: hc},
		Bucket:   "medusa-bucket", Region: "us-east-1", AWS: true, Store: "AWS S3 (us-east-1)",
		Credentials: creds.Retrieve,
	}
	return s, &seen
}

// runNamed runs the checks of s whose names are given, in s's order.
func runNamed(t *testing.T, s *S3, names ...string) map[string]Result {
	t.Helper()
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var cs []Check
	for _, c := range s.Checks() {
		if want[c.Name] {
			cs = append(cs, c)
		}
	}
	if len(cs) != len(names) {
		t.Fatalf("found %d of the checks %v", len(cs), names)
	}
	out := map[string]Result{}
	for _, r := range Run(t.Context(), cs, 0, nil).Results {
		out[r.Name] = r
		t.Logf("%-5s %-28s %s -> %s", r.Status, r.Name, r.Detail, r.Fix)
	}
	return out
}

func want(t *testing.T, got map[string]Result, name string, status Status, contains ...string) {
	t.Helper()
	r := got[name]
	if r.Status != status {
		t.Errorf("%s: %s, want %s (%s -> %s)", name, r.Status, status, r.Detail, r.Fix)
	}
	for _, c := range contains {
		if !strings.Contains(r.Detail+" -> "+r.Fix, c) {
			t.Errorf("%s: %q lacks %q", name, r.Detail+" -> "+r.Fix, c)
		}
	}
}

var publicChecks = []string{"credentials/source", "bucket/reachable", "account/public-access-block",
	"bucket/public-access-block", "bucket/policy-status", "bucket/acl"}

func TestAWSReplayPublicBucket(t *testing.T) {
	s, _ := awsReplay(t, map[string]answer{
		"sts":        callerIdentity,
		"HeadBucket": {status: 200},
		"control":    controlErrorAnswer(404, "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found"),
		"publicAccessBlock": xmlOK(`<PublicAccessBlockConfiguration ` + s3NS + `><BlockPublicAcls>true</BlockPublicAcls>` +
			`<IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>false</BlockPublicPolicy><RestrictPublicBuckets>false</RestrictPublicBuckets></PublicAccessBlockConfiguration>`),
		"policyStatus": xmlOK(`<PolicyStatus ` + s3NS + `><IsPublic>true</IsPublic></PolicyStatus>`),
		"acl": xmlOK(`<AccessControlPolicy ` + s3NS + `><Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID></Owner>` +
			`<AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant>` +
			`<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant>` +
			`</AccessControlList></AccessControlPolicy>`),
	})
	got := runNamed(t, s, publicChecks...)
	want(t, got, "credentials/source", OK, "****MPLE", "arn:aws:iam::123456789012:user/medusa-backup")
	want(t, got, "account/public-access-block", WARN, "account 123456789012 has no account-level public access block", "put-public-access-block --account-id 123456789012")
	want(t, got, "bucket/public-access-block", WARN, "BlockPublicPolicy, RestrictPublicBuckets off")
	want(t, got, "bucket/policy-status", FAIL, "PUBLIC")
	want(t, got, "bucket/acl", FAIL, "READ to everyone (AllUsers)", "--acl private")
	for _, r := range got {
		if strings.Contains(r.Detail+r.Fix, "wJalrXUtnFEMI") {
			t.Errorf("%s prints the secret key", r.Name)
		}
	}
}

func TestAWSReplayLockedDown(t *testing.T) {
	s, _ := awsReplay(t, map[string]answer{
		"sts":               callerIdentity,
		"HeadBucket":        {status: 200},
		"control":           xmlOK(`<PublicAccessBlockConfiguration>` + blockAll + `</PublicAccessBlockConfiguration>`),
		"publicAccessBlock": s3Error(404, "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found"),
		"policyStatus":      xmlOK(`<PolicyStatus ` + s3NS + `><IsPublic>false</IsPublic></PolicyStatus>`),
		"acl":               s3Error(400, "AccessControlListNotSupported", "The bucket does not allow ACLs"),
	})
	got := runNamed(t, s, publicChecks...)
	want(t, got, "account/public-access-block", OK, "account 123456789012 blocks public access")
	want(t, got, "bucket/public-access-block", OK, "account-level block covers")
	want(t, got, "bucket/policy-status", OK)
	want(t, got, "bucket/acl", OK, "ACLs disabled")
}

func TestAWSReplayReadsDenied(t *testing.T) {
	s, _ := awsReplay(t, map[string]answer{
		"sts":               callerIdentity,
		"HeadBucket":        {status: 200},
		"control":           controlErrorAnswer(403, "AccessDenied", "Access Denied"),
		"publicAccessBlock": denied, "policyStatus": denied, "acl": denied, "encryption": denied,
		"versioning": denied, "location": denied,
	})
	got := runNamed(t, s, append(publicChecks, "bucket/encryption", "bucket/versioning", "bucket/region")...)
	want(t, got, "account/public-access-block", WARN, "lacks s3:GetAccountPublicAccessBlock")
	want(t, got, "bucket/public-access-block", WARN, "lacks s3:GetBucketPublicAccessBlock", "arn:aws:iam::123456789012:user/medusa-backup")
	want(t, got, "bucket/policy-status", WARN, "lacks s3:GetBucketPolicyStatus")
	want(t, got, "bucket/acl", WARN, "lacks s3:GetBucketAcl")
	want(t, got, "bucket/encryption", WARN, "lacks s3:GetEncryptionConfiguration")
	want(t, got, "bucket/versioning", WARN, "lacks s3:GetBucketVersioning")
	want(t, got, "bucket/region", WARN, "lacks s3:GetBucketLocation")
}

func TestAWSReplayBucketSettings(t *testing.T) {
	kmsARN := "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	answers := map[string]answer{
		"HeadBucket": {status: 200},
		"location":   xmlOK(`<LocationConstraint ` + s3NS + `>eu-west-1</LocationConstraint>`),
		"versioning": xmlOK(`<VersioningConfiguration ` + s3NS + `><Status>Enabled</Status></VersioningConfiguration>`),
		"object-lock": xmlOK(`<ObjectLockConfiguration ` + s3NS + `><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>` +
			`<Mode>COMPLIANCE</Mode><Days>30</Days></DefaultRetention></Rule></ObjectLockConfiguration>`),
		"encryption": xmlOK(`<ServerSideEncryptionConfiguration ` + s3NS + `><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm>` +
			`<KMSMasterKeyID>` + kmsARN + `</KMSMasterKeyID></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled>` +
			`<BlockedEncryptionTypes><EncryptionType>SSE-C</EncryptionType></BlockedEncryptionTypes></Rule></ServerSideEncryptionConfiguration>`),
	}
	s, _ := awsReplay(t, answers)
	got := runNamed(t, s, "bucket/reachable", "bucket/region", "bucket/versioning", "bucket/encryption")
	want(t, got, "bucket/region", FAIL, "is in eu-west-1", "set region = eu-west-1")
	want(t, got, "bucket/versioning", WARN, "versioning enabled", "COMPLIANCE 30 days")
	want(t, got, "bucket/encryption", OK, "default aws:kms")

	s, _ = awsReplay(t, answers)
	s.SSEC = true
	got = runNamed(t, s, "bucket/reachable", "bucket/encryption")
	want(t, got, "bucket/encryption", FAIL, "blocks SSE-C")

	s, _ = awsReplay(t, answers)
	s.KMSID = "alias/other-key"
	got = runNamed(t, s, "bucket/reachable", "bucket/encryption")
	want(t, got, "bucket/encryption", WARN, "uploads use kms_id alias/other-key", "set kms_id = "+kmsARN)

	s, _ = awsReplay(t, answers)
	s.KMSID = "1234abcd-12ab-34cd-56ef-1234567890ab"
	got = runNamed(t, s, "bucket/reachable", "bucket/encryption")
	want(t, got, "bucket/encryption", OK, "uploads use SSE-KMS key")

	answers["encryption"] = s3Error(404, "ServerSideEncryptionConfigurationNotFoundError", "The server side encryption configuration was not found")
	s, _ = awsReplay(t, answers)
	got = runNamed(t, s, "bucket/reachable", "bucket/encryption")
	want(t, got, "bucket/encryption", WARN, "unencrypted")
}

func TestAWSReplayWrongRegion(t *testing.T) {
	s, _ := awsReplay(t, map[string]answer{
		"HeadBucket": {status: 301, header: map[string]string{"X-Amz-Bucket-Region": "ap-southeast-2"}},
	})
	got := runNamed(t, s, "bucket/reachable", "bucket/acl")
	want(t, got, "bucket/reachable", FAIL, "is in region ap-southeast-2", "set region = ap-southeast-2")
	want(t, got, "bucket/acl", SKIP)
}
