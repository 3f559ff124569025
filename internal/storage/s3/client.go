package s3

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/logging"

	"github.com/medusa-go/medusa/internal/storage"
)

// newHTTPClient builds the client S3 requests go through: the SDK's
// transport defaults, MaxConnections idle connections per host, no
// certificate checks when ssl_verify is off (S3-compatible stores only),
// an inactivity timeout on every connection and a bound on the wait for an
// answer's header once the request is sent (both read_timeout). Redirects are not
// followed: S3 answers them with an error that says what is wrong.
func newHTTPClient(o Options, kind providerKind) *http.Client {
	tr := awshttp.NewBuildableClient().GetTransport()
	tr.MaxIdleConns = 2 * o.MaxConnections
	tr.MaxIdleConnsPerHost = o.MaxConnections
	if tr.TLSClientConfig == nil {
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if kind != kindAWS && !o.SSLVerify {
		tr.TLSClientConfig.InsecureSkipVerify = true
	}
	dial := o.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	tr.DialContext = dial
	if o.ReadTimeout > 0 {
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &idleTimeoutConn{Conn: c, timeout: o.ReadTimeout}, nil
		}
		// Close pooled connections before their idle deadline fires.
		tr.IdleConnTimeout = min(tr.IdleConnTimeout, o.ReadTimeout/2)
		// A store that takes the whole request and then stays silent:
		// bounded from the end of the request body, so long uploads
		// are not capped.
		tr.ResponseHeaderTimeout = o.ReadTimeout
	}
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// idleTimeoutConn fails a connection that moves no data, in either
// direction, for timeout: every Read and Write pushes both deadlines
// forward. Writes count too because net/http reads the response while the
// request body is still being sent: a slow (e.g. bandwidth-limited) upload
// of a large part must not time out while it progresses.
type idleTimeoutConn struct {
	net.Conn
	timeout time.Duration
}

func (c *idleTimeoutConn) Read(p []byte) (int, error) {
	if err := c.Conn.SetDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

func (c *idleTimeoutConn) Write(p []byte) (int, error) {
	if err := c.Conn.SetDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

// loadAWSConfig resolves region and credentials: the key_file when set,
// else the SDK's default chain (whose temporary credentials the SDK caches
// and refreshes). The SDK's logger goes to log.
func loadAWSConfig(ctx context.Context, o Options, region string) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRegion(region),
		config.WithLogger(sdkLogger{o.Logger}),
		config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
		config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
	}
	if o.KeyFile != "" {
		p, err := loadKeyFile(o.KeyFile, o.APIProfile, o.Logger)
		if err != nil {
			return aws.Config{}, storage.Misconfigured(err)
		}
		opts = append(opts, config.WithCredentialsProvider(p))
	} else if o.APIProfile != "" {
		o.Logger.Warn("api_profile is ignored without key_file (as in Medusa); set AWS_PROFILE to choose a profile of ~/.aws",
			"api_profile", o.APIProfile)
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	return cfg, nil
}

// newClient builds the S3 client. The SDK does not retry (see doc.go).
func newClient(cfg aws.Config, hc aws.HTTPClient, endpoint string, pathStyle bool) *s3.Client {
	return s3.NewFromConfig(cfg, func(so *s3.Options) {
		so.Retryer = aws.NopRetryer{}
		so.HTTPClient = hc
		so.UsePathStyle = pathStyle
		if endpoint != "" {
			so.BaseEndpoint = aws.String(endpoint)
		}
		so.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		so.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		so.DisableLogOutputChecksumValidationSkipped = true
	})
}

// sdkLogger forwards the SDK's log lines to slog.
type sdkLogger struct{ log *slog.Logger }

func (l sdkLogger) Logf(c logging.Classification, format string, v ...any) {
	if c == logging.Warn {
		l.log.Warn("aws sdk: " + fmt.Sprintf(format, v...))
		return
	}
	l.log.Debug("aws sdk: " + fmt.Sprintf(format, v...))
}
