package testbed

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// medusaPolicy is the MedusaStorageStrategy policy of Python Medusa's AWS
// set-up guide, copied verbatim into s3_policy.json: 43 actions on
// <bucket-name> and <bucket-name>/*,
// plus s3:GetAccountPublicAccessBlock and s3:HeadBucket on "*".
//
//go:embed s3_policy.json
var medusaPolicy []byte

// maxInlinePolicyBytes is versitygw's limit on the sum of a user's inline
// policies, counted in bytes (AWS: 2048 characters, whitespace not counted).
const maxInlinePolicyBytes = 2048

type policyDocument struct {
	Version   string
	Statement []policyStatement
}

type policyStatement struct {
	Sid      string `json:",omitempty"`
	Effect   string
	Action   any
	Resource any
}

// RestrictedPolicy returns Medusa's MedusaStorageStrategy policy with
// <bucket-name> expanded to every bucket given, as compact JSON. Every action
// and the statement on Resource "*" are kept: versitygw's IAM service takes
// IAM policy documents as AWS does, whatever the action names. It fails when
// the document outgrows versitygw's 2048-byte inline-policy limit (about a
// dozen buckets).
func RestrictedPolicy(buckets ...string) (string, error) {
	var doc policyDocument
	if err := json.Unmarshal(medusaPolicy, &doc); err != nil {
		return "", fmt.Errorf("parse embedded policy: %w", err)
	}
	for i, st := range doc.Statement {
		doc.Statement[i].Resource = expandResources(st.Resource, buckets)
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return "", err
	}
	if len(out) > maxInlinePolicyBytes {
		return "", fmt.Errorf("the policy for %d buckets is %d bytes, over versitygw's %d-byte limit on a user's inline policies",
			len(buckets), len(out), maxInlinePolicyBytes)
	}
	return string(out), nil
}

// expandResources replaces each resource naming <bucket-name> with one per
// bucket; a single resource stays a JSON string.
func expandResources(res any, buckets []string) any {
	var in []string
	switch r := res.(type) {
	case string:
		in = []string{r}
	case []any:
		for _, v := range r {
			if s, ok := v.(string); ok {
				in = append(in, s)
			}
		}
	default:
		return res
	}
	var out []string
	for _, r := range in {
		if !strings.Contains(r, "<bucket-name>") {
			out = append(out, r)
			continue
		}
		for _, b := range buckets {
			out = append(out, strings.ReplaceAll(r, "<bucket-name>", b))
		}
	}
	if len(out) == 1 {
		return out[0]
	}
	return out
}

// iamClient calls the IAM Query API of versitygw's IAM service.
type iamClient struct {
	endpoint, region string
	creds            Credentials
}

type iamErrorResponse struct {
	Error struct {
		Code    string
		Message string
	}
}

type createAccessKeyResponse struct {
	AccessKey struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string
	} `xml:"CreateAccessKeyResult>AccessKey"`
}

// call performs action with params, signed with SigV4 (service "iam"), and
// decodes the XML answer into out when out is not nil. Errors carry the IAM
// error code and message, never a request or response body.
func (c *iamClient) call(ctx context.Context, action string, params map[string]string, out any) error {
	form := url.Values{"Action": {action}, "Version": {"2010-05-08"}}
	for k, v := range params {
		form.Set(k, v)
	}
	body := form.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint+"/", strings.NewReader(body))
	if err != nil {
		return fmt.Errorf("iam %s: %w", action, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: c.creds.AccessKey, SecretAccessKey: c.creds.Secret}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "iam", c.region, time.Now()); err != nil {
		return fmt.Errorf("iam %s: sign: %w", action, err)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("iam %s: %w", action, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("iam %s: read answer: %w", action, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e iamErrorResponse
		_ = xml.Unmarshal(data, &e)
		return fmt.Errorf("iam %s: HTTP %d %s: %s", action, resp.StatusCode, e.Error.Code, e.Error.Message)
	}
	if out != nil {
		if err := xml.Unmarshal(data, out); err != nil {
			return fmt.Errorf("iam %s: decode answer: %w", action, err)
		}
	}
	return nil
}
