package check

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"
)

// AccountAPI reads the account-level public access block.
type AccountAPI interface {
	GetPublicAccessBlock(ctx context.Context, accountID string) (PublicAccessBlock, error)
}

// PublicAccessBlock is the four settings of a public access block.
type PublicAccessBlock struct {
	BlockPublicAcls       bool
	IgnorePublicAcls      bool
	BlockPublicPolicy     bool
	RestrictPublicBuckets bool
}

// S3Control calls the one S3 Control API the check needs,
// GetPublicAccessBlock (GET /v20180820/configuration/publicAccessBlock,
// signed with SigV4 for service "s3"). It stands in for the SDK's
// s3control module, which would add 5 MB to the binary for one call.
type S3Control struct {
	HTTP        aws.HTTPClient
	Credentials aws.CredentialsProvider
	Region      string
	// Endpoint replaces https://<account>.s3-control.<region>.amazonaws.com (tests).
	Endpoint string
	// Now is the signing clock (nil: time.Now).
	Now func() time.Time
}

// emptySHA256 is the hex SHA-256 of an empty body.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// controlError is an S3 Control error answer; it satisfies smithy.APIError.
type controlError struct {
	Status  int
	Code    string
	Message string
}

func (e *controlError) Error() string {
	return fmt.Sprintf("S3 Control: HTTP %d %s: %s", e.Status, e.Code, e.Message)
}
func (e *controlError) ErrorCode() string    { return e.Code }
func (e *controlError) ErrorMessage() string { return e.Message }
func (e *controlError) HTTPStatusCode() int  { return e.Status }
func (e *controlError) ErrorFault() smithy.ErrorFault {
	if e.Status >= 500 {
		return smithy.FaultServer
	}
	return smithy.FaultClient
}

// GetPublicAccessBlock reads accountID's public access block.
func (c *S3Control) GetPublicAccessBlock(ctx context.Context, accountID string) (PublicAccessBlock, error) {
	base := c.Endpoint
	if base == "" {
		domain := "amazonaws.com"
		if strings.HasPrefix(c.Region, "cn-") {
			domain = "amazonaws.com.cn"
		}
		base = fmt.Sprintf("https://%s.s3-control.%s.%s", accountID, c.Region, domain)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(base, "/")+"/v20180820/configuration/publicAccessBlock", nil)
	if err != nil {
		return PublicAccessBlock{}, err
	}
	req.Header.Set("X-Amz-Account-Id", accountID)
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	creds, err := c.Credentials.Retrieve(ctx)
	if err != nil {
		return PublicAccessBlock{}, fmt.Errorf("S3 Control: credentials: %w", err)
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, emptySHA256, "s3", c.Region, now()); err != nil {
		return PublicAccessBlock{}, fmt.Errorf("S3 Control: sign: %w", err)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return PublicAccessBlock{}, fmt.Errorf("S3 Control: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return PublicAccessBlock{}, fmt.Errorf("S3 Control: read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return PublicAccessBlock{}, decodeControlError(resp.StatusCode, body)
	}
	var out PublicAccessBlock
	if err := xml.Unmarshal(body, &out); err != nil {
		return PublicAccessBlock{}, fmt.Errorf("S3 Control: decode answer: %w", err)
	}
	return out, nil
}

// decodeControlError reads <ErrorResponse><Error>...</Error></ErrorResponse>
// (S3 Control's form) or a bare <Error>.
func decodeControlError(status int, body []byte) error {
	var wrapped struct {
		Error struct{ Code, Message string }
	}
	e := &controlError{Status: status}
	if xml.Unmarshal(body, &wrapped) == nil && wrapped.Error.Code != "" {
		e.Code, e.Message = wrapped.Error.Code, wrapped.Error.Message
		return e
	}
	var bare struct{ Code, Message string }
	if xml.Unmarshal(body, &bare) == nil && bare.Code != "" {
		e.Code, e.Message = bare.Code, bare.Message
		return e
	}
	e.Code = fmt.Sprintf("HTTP %d", status)
	return e
}
