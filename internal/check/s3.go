package check

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// S3 checks an S3 (or S3-compatible) bucket: credentials, the bucket's
// settings and what the policy allows. Fill it in, then call Checks.
type S3 struct {
	API    S3API
	Bucket string
	// Region is the region medusa signs for (resolved from [storage]).
	Region string
	// Prefix is [storage] prefix ("" for none); the probe writes under it.
	Prefix string
	FQDN   string
	// AWS is true for AWS S3 (storage_provider s3 and the legacy s3_*
	// names): the public-access and account checks then apply in full.
	AWS bool
	// Store names the store in messages ("AWS S3" or the endpoint URL).
	Store string
	// KMSID and SSEC are [storage] kms_id and whether sse_c_key is set.
	KMSID string
	SSEC  bool
	// LockDays and LockMode are [storage] object_lock_days (0: off) and
	// object_lock_mode; MaxBackupAge and MaxBackupCount are the purge
	// retention ([storage] max_backup_age in days, max_backup_count).
	LockDays       int
	LockMode       string
	MaxBackupAge   int
	MaxBackupCount int
	// ApplySSE adds medusa's encryption settings to probe requests (nil:
	// none), so that the probe writes the way a backup does.
	ApplySSE func(in any)
	// Credentials returns the credentials medusa signs with.
	Credentials func(ctx context.Context) (aws.Credentials, error)
	// Describe turns aws.Credentials.Source into words.
	Describe func(source string) string
	// KeyFile is [storage] key_file ("" when the credential chain is used);
	// its profile shows in the credentials' source.
	KeyFile string
	// Identity and Account are the STS and S3 Control clients (AWS only;
	// nil skips the caller identity and the account-level block).
	Identity IdentityAPI
	Account  AccountAPI
	// Now is the clock (nil: time.Now); ProbeID names the probe objects
	// (empty: from the clock).
	Now     func() time.Time
	ProbeID string

	// Found by earlier checks, used by later ones.
	identity     string // ARN of the caller, when known
	accountID    string
	accountBlock bool // the account-level block is fully on
	reachable    bool
	lock         *lockInfo // read once by lockConfig
	probe        probeState
}

// Checks returns the S3 checks in the order they must run.
func (s *S3) Checks() []Check {
	cs := []Check{
		{Name: "credentials/source", Run: s.checkCredentials},
	}
	if s.KeyFile != "" {
		cs = append(cs, Check{Name: "credentials/key-file", Run: func(context.Context) Result {
			return KeyFileMode(s.KeyFile, "AWS credentials file")
		}})
	}
	cs = append(cs,
		Check{Name: "bucket/reachable", Run: s.checkReachable},
		Check{Name: "bucket/region", Run: s.checkRegion},
		Check{Name: "bucket/versioning", Run: s.checkVersioning},
		Check{Name: "bucket/object-lock", Run: s.checkObjectLock},
		Check{Name: "account/public-access-block", Run: s.checkAccountBlock},
		Check{Name: "bucket/public-access-block", Run: s.checkBucketBlock},
		Check{Name: "bucket/policy-status", Run: s.checkPolicyStatus},
		Check{Name: "bucket/acl", Run: s.checkACL},
		Check{Name: "bucket/encryption", Run: s.checkEncryption},
	)
	return append(cs, s.probeChecks()...)
}

func (s *S3) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// who names the identity for fixes: its ARN when known.
func (s *S3) who() string {
	if s.identity != "" {
		return s.identity
	}
	return "the IAM user or role medusa runs as"
}

// refused is the result for an answer denying action: FAIL for what
// medusa needs (need), WARN for what only the check reads.
func (s *S3) refused(need bool, action, resource string, err error) Result {
	fix := fmt.Sprintf("grant %s on %s to %s (the MedusaStorageStrategy policy of the AWS set-up guide grants it)", action, resource, s.who())
	if need {
		return fail(fix, "refused (%s): the policy lacks %s", errText(err), action)
	}
	return warn(fix, "cannot tell: the policy lacks %s (%s)", action, errText(err))
}

func (s *S3) checkCredentials(ctx context.Context) Result {
	if s.Credentials == nil {
		return skip("the store's credentials are not inspectable")
	}
	c, err := s.Credentials(ctx)
	if err != nil {
		return fail("set key_file in [storage], or give the node AWS credentials (environment, ~/.aws, an IAM role)",
			"no credentials: %v", err)
	}
	where := c.Source
	if s.Describe != nil {
		where = s.Describe(c.Source)
	}
	detail := fmt.Sprintf("access key %s from %s", maskKey(c.AccessKeyID), where)
	if s.Identity != nil {
		if out, err := s.Identity.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil {
			s.identity, s.accountID = aws.ToString(out.Arn), aws.ToString(out.Account)
			detail += ", identity " + s.identity
		} else if e := inspectErr(err); e.badKey() {
			return fail("fix the credentials of "+where, "%s: refused by AWS STS (%s)", detail, errText(err))
		}
	}
	if c.CanExpire {
		left := c.Expires.Sub(s.now())
		switch {
		case left <= 0:
			return fail("renew the temporary credentials of "+where,
				"%s: temporary, expired at %s", detail, c.Expires.UTC().Format(time.RFC3339))
		case left < 15*time.Minute && !refreshing(c.Source):
			return warn("renew them before a long backup, or use credentials that refresh (IAM role, web identity)",
				"%s: temporary, expire at %s (in %s)", detail, c.Expires.UTC().Format(time.RFC3339), left.Round(time.Second))
		}
		detail += fmt.Sprintf("; temporary, expire at %s (in %s", c.Expires.UTC().Format(time.RFC3339), left.Round(time.Minute))
		if refreshing(c.Source) {
			detail += ", refreshed automatically"
		}
		detail += ")"
	} else if c.SessionToken != "" {
		return warn("temporary credentials in a file are not refreshed: use an IAM role or renew the file before it expires",
			"%s: a session token without a known expiry", detail)
	}
	return ok("%s", detail)
}

// refreshing reports whether the SDK renews credentials of this source
// itself (IAM role, web identity, container endpoint, SSO).
func refreshing(source string) bool {
	switch source {
	case "EC2RoleProvider", "WebIdentityCredentials", "CredentialsEndpointProvider", "SSOProvider", "AssumeRoleProvider":
		return true
	}
	return false
}

// maskKey shows the last four characters of an access key id.
func maskKey(id string) string {
	if len(id) <= 4 {
		return "****"
	}
	return "****" + id[len(id)-4:]
}

func (s *S3) checkReachable(ctx context.Context) Result {
	_, err := s.API.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &s.Bucket})
	if err == nil {
		s.reachable = true
		return ok("bucket %q answers at %s", s.Bucket, s.Store)
	}
	e := inspectErr(err)
	switch {
	case e.status == 301 || e.is("PermanentRedirect", "AuthorizationHeaderMalformed"):
		if r := e.header.Get("X-Amz-Bucket-Region"); r != "" {
			return fail(fmt.Sprintf("set region = %s in [storage]", r),
				"bucket %q is in region %s, not %s", s.Bucket, r, s.Region)
		}
		return fail("set region in [storage] to the bucket's region", "bucket %q is in another region than %s (%s)", s.Bucket, s.Region, errText(err))
	case e.status == 404 || e.is("NoSuchBucket", "NotFound"):
		return fail("create the bucket or fix bucket_name in [storage]", "%s has no bucket %q", s.Store, s.Bucket)
	case e.badKey():
		return fail("fix the credentials (key_file or the credential chain)", "%s refused the credentials (%s)", s.Store, errText(err))
	case e.denied():
		return fail(fmt.Sprintf("grant s3:ListBucket on %s to %s", bucketARN(s.Bucket), s.who()),
			"HeadBucket on %q refused (%s): the policy lacks s3:ListBucket", s.Bucket, errText(err))
	}
	return fail("check host, port, secure and the network path to the store", "bucket %q at %s: %v", s.Bucket, s.Store, err)
}

// notReachable is the result of bucket checks after checkReachable failed.
func (s *S3) notReachable() Result { return skip("the bucket is not reachable (see bucket/reachable)") }

func (s *S3) checkRegion(ctx context.Context) Result {
	if !s.reachable {
		return s.notReachable()
	}
	out, err := s.API.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: &s.Bucket})
	if err != nil {
		e := inspectErr(err)
		if e.denied() {
			return s.refused(false, "s3:GetBucketLocation", bucketARN(s.Bucket), err)
		}
		if e.notImplemented() {
			return skip("%s does not report bucket locations", s.Store)
		}
		return warn("run medusa check again; if it persists, check the store's logs", "GetBucketLocation: %v", err)
	}
	loc := string(out.LocationConstraint)
	switch loc {
	case "":
		loc = "us-east-1"
	case "EU":
		loc = "eu-west-1"
	}
	if loc != s.Region {
		fix := fmt.Sprintf("set region = %s in [storage]", loc)
		if s.AWS {
			return fail(fix, "bucket %q is in %s, medusa signs for %s", s.Bucket, loc, s.Region)
		}
		return warn(fix, "bucket %q reports region %s, medusa signs for %s", s.Bucket, loc, s.Region)
	}
	return ok("bucket %q is in %s, as configured", s.Bucket, loc)
}

func (s *S3) checkVersioning(ctx context.Context) Result {
	if !s.reachable {
		return s.notReachable()
	}
	v, err := s.API.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &s.Bucket})
	if err != nil {
		if e := inspectErr(err); e.denied() {
			return s.refused(false, "s3:GetBucketVersioning", bucketARN(s.Bucket), err)
		} else if e.notImplemented() {
			return skip("%s does not report versioning", s.Store)
		}
		return warn("check the store's logs", "GetBucketVersioning: %v", err)
	}
	state := "never enabled"
	switch v.Status {
	case types.BucketVersioningStatusEnabled:
		state = "enabled"
	case types.BucketVersioningStatusSuspended:
		state = "suspended"
	}
	lock, _ := s.lockConfig(ctx)
	detail := fmt.Sprintf("versioning %s; object lock %s (see bucket/object-lock)", state, lock.describe())
	switch {
	case v.Status == types.BucketVersioningStatusEnabled:
		return warn("add a lifecycle rule that expires noncurrent versions (e.g. after a few days), or purged backups keep using space",
			"%s: purged and overwritten objects stay as noncurrent versions", detail)
	}
	return ok("%s", detail)
}

func (s *S3) checkAccountBlock(ctx context.Context) Result {
	if !s.AWS || s.Account == nil {
		return skip("not AWS S3: %s has no account-level public access block", s.Store)
	}
	if s.accountID == "" {
		return warn("allow sts:GetCallerIdentity (no policy is needed unless an SCP denies it)",
			"cannot tell: the account id is unknown (sts:GetCallerIdentity failed)")
	}
	c, err := s.Account.GetPublicAccessBlock(ctx, s.accountID)
	if err != nil {
		e := inspectErr(err)
		switch {
		case e.is("NoSuchPublicAccessBlockConfiguration"):
			return warn(fmt.Sprintf("aws s3control put-public-access-block --account-id %s --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true", s.accountID),
				"account %s has no account-level public access block", s.accountID)
		case e.denied():
			return s.refused(false, "s3:GetAccountPublicAccessBlock", "*", err)
		}
		return warn("run medusa check again", "GetPublicAccessBlock (account %s): %v", s.accountID, err)
	}
	off := offSettings(c.BlockPublicAcls, c.IgnorePublicAcls, c.BlockPublicPolicy, c.RestrictPublicBuckets)
	if len(off) > 0 {
		return warn("turn on all four settings of the account's public access block (S3 console, Block Public Access settings for this account)",
			"account %s: public access block has %s off", s.accountID, strings.Join(off, ", "))
	}
	s.accountBlock = true
	return ok("account %s blocks public access (all four settings on)", s.accountID)
}

func offSettings(blockACLs, ignoreACLs, blockPolicy, restrict bool) []string {
	var off []string
	for _, x := range []struct {
		on   bool
		name string
	}{{blockACLs, "BlockPublicAcls"}, {ignoreACLs, "IgnorePublicAcls"}, {blockPolicy, "BlockPublicPolicy"}, {restrict, "RestrictPublicBuckets"}} {
		if !x.on {
			off = append(off, x.name)
		}
	}
	return off
}

const pabFix = "aws s3api put-public-access-block --bucket %s --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"

func (s *S3) checkBucketBlock(ctx context.Context) Result {
	if !s.reachable {
		return s.notReachable()
	}
	out, err := s.API.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: &s.Bucket})
	if err != nil {
		e := inspectErr(err)
		switch {
		case e.is("NoSuchPublicAccessBlockConfiguration"):
			if s.accountBlock {
				return ok("no bucket-level block; the account-level block covers the bucket")
			}
			return warn(fmt.Sprintf(pabFix, s.Bucket), "bucket %q has no public access block", s.Bucket)
		case e.notImplemented() && !s.AWS:
			return skip("%s does not implement public access blocks (not AWS S3)", s.Store)
		case e.denied():
			return s.refused(false, "s3:GetBucketPublicAccessBlock", bucketARN(s.Bucket), err)
		}
		return warn("run medusa check again", "GetPublicAccessBlock: %v", err)
	}
	c := out.PublicAccessBlockConfiguration
	off := offSettings(c != nil && boolv(c.BlockPublicAcls), c != nil && boolv(c.IgnorePublicAcls),
		c != nil && boolv(c.BlockPublicPolicy), c != nil && boolv(c.RestrictPublicBuckets))
	switch {
	case len(off) == 0:
		return ok("bucket %q blocks public access (all four settings on)", s.Bucket)
	case s.accountBlock:
		return ok("bucket-level block has %s off; the account-level block covers them", strings.Join(off, ", "))
	}
	return warn(fmt.Sprintf(pabFix, s.Bucket), "bucket %q: public access block has %s off", s.Bucket, strings.Join(off, ", "))
}

func (s *S3) checkPolicyStatus(ctx context.Context) Result {
	if !s.reachable {
		return s.notReachable()
	}
	out, err := s.API.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: &s.Bucket})
	if err != nil {
		e := inspectErr(err)
		switch {
		case e.is("NoSuchBucketPolicy"):
			return ok("bucket %q has no bucket policy", s.Bucket)
		case e.notImplemented() && !s.AWS:
			return skip("%s does not report bucket policy status (not AWS S3)", s.Store)
		case e.denied():
			return s.refused(false, "s3:GetBucketPolicyStatus", bucketARN(s.Bucket), err)
		}
		return warn("run medusa check again", "GetBucketPolicyStatus: %v", err)
	}
	if out.PolicyStatus != nil && boolv(out.PolicyStatus.IsPublic) {
		return fail(fmt.Sprintf("remove the statements of the bucket policy that allow Principal \"*\" without conditions (aws s3api get-bucket-policy --bucket %s), and turn on the public access block", s.Bucket),
			"bucket %q is PUBLIC through its bucket policy", s.Bucket)
	}
	return ok("bucket %q's policy does not make it public", s.Bucket)
}

// Grantee group URIs that mean "everyone".
const (
	allUsersURI  = "http://acs.amazonaws.com/groups/global/AllUsers"
	authUsersURI = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
)

func (s *S3) checkACL(ctx context.Context) Result {
	if !s.reachable {
		return s.notReachable()
	}
	out, err := s.API.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: &s.Bucket})
	if err != nil {
		e := inspectErr(err)
		switch {
		case e.is("AccessControlListNotSupported"):
			return ok("bucket %q has ACLs disabled (object ownership: bucket owner enforced)", s.Bucket)
		case e.notImplemented() && !s.AWS:
			return skip("%s does not implement bucket ACLs", s.Store)
		case e.denied():
			return s.refused(false, "s3:GetBucketAcl", bucketARN(s.Bucket), err)
		}
		return warn("run medusa check again", "GetBucketAcl: %v", err)
	}
	var public []string
	for _, g := range out.Grants {
		if g.Grantee == nil {
			continue
		}
		switch aws.ToString(g.Grantee.URI) {
		case allUsersURI:
			public = append(public, string(g.Permission)+" to everyone (AllUsers)")
		case authUsersURI:
			public = append(public, string(g.Permission)+" to any AWS account (AuthenticatedUsers)")
		}
	}
	if len(public) > 0 {
		return fail(fmt.Sprintf("aws s3api put-bucket-acl --bucket %s --acl private", s.Bucket),
			"bucket %q's ACL grants %s", s.Bucket, strings.Join(public, ", "))
	}
	return ok("bucket %q's ACL has %d grants, none to everyone", s.Bucket, len(out.Grants))
}
