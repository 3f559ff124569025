package s3

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/medusa-go/medusa/internal/awsregion"
)

// Defaults, as in Medusa's medusa.ini (sizes are 1024-based there too).
const (
	DefaultMultipartThreshold   = 20 << 20
	DefaultMultipartChunkSize   = 50 << 20
	DefaultMultipartConcurrency = 4
	DefaultPartAttempts         = 3
	// DefaultReadTimeout is botocore's default read_timeout.
	DefaultReadTimeout = 60 * time.Second
	// DefaultRegion is what Medusa uses for s3 and s3_compatible when region
	// is unset or "default".
	DefaultRegion = "us-east-1"
)

// Options configure a Backend. The zero value of a numeric field means its
// default. The config package maps medusa.ini's [storage] section onto it.
type Options struct {
	// Provider is storage_provider: "s3", "s3_compatible", "s3_rgw",
	// "ibm_storage" or a legacy region-named provider ("s3_us_west_oregon",
	// "s3_eu_west", ...). Case-insensitive.
	Provider string
	Bucket   string
	// Region: empty or "default" means the legacy mapping of the provider
	// name (s3, s3_compatible, s3_rgw and ibm_storage: us-east-1).
	Region string
	// KeyFile is an AWS shared-credentials file; empty means the SDK's
	// default credential chain. "~/" is expanded.
	KeyFile string
	// APIProfile is the profile read from KeyFile (empty: "default"). Like
	// Medusa, it is ignored without a KeyFile (use AWS_PROFILE then).
	APIProfile string
	// Host, Port, Secure and SSLVerify build the endpoint of s3_compatible,
	// s3_rgw and ibm_storage: {https|http}://Host[:Port]. Ignored for AWS.
	Host      string
	Port      int
	Secure    bool
	SSLVerify bool
	// AddressingStyle is "auto" (empty), "path" or "virtual". auto means
	// virtual-host style for AWS and path style for other stores.
	AddressingStyle string
	// ReadTimeout is how long a connection may stay silent, reading or
	// writing, before the request fails (botocore's read_timeout). Zero
	// means DefaultReadTimeout, negative disables it.
	ReadTimeout time.Duration
	// StorageClass is the S3 storage class for uploads (upper-cased).
	StorageClass string
	// KMSID enables SSE-KMS with this key id or ARN.
	KMSID string
	// SSECKey enables SSE-C: base64 of a 256-bit key. Never logged.
	SSECKey string
	// ObjectLock, when set with a positive Period, writes every object
	// with an Object Lock retention date.
	ObjectLock *ObjectLock
	// MultipartThreshold: objects of at least this size use multipart upload.
	MultipartThreshold int64
	// MultipartChunkSize is the part size (grown only past 10,000 parts).
	MultipartChunkSize int64
	// MultipartConcurrency is the number of parts in flight per object.
	MultipartConcurrency int
	// PartAttempts is how often one multipart part is tried on transient
	// errors before the upload fails (1: no part retries).
	PartAttempts int
	// MaxConnections caps idle connections kept per host; zero means
	// MultipartConcurrency+10 (Medusa: concurrent_transfers x
	// multipart_max_concurrency + 10, which the caller can pass).
	MaxConnections int
	// HTTPClient, when set, is used as is (tests); ReadTimeout, SSLVerify,
	// MaxConnections and DialContext are then not applied.
	HTTPClient aws.HTTPClient
	// DialContext, when set, dials every connection of the default HTTP
	// client (tests: reach virtual-host names on 127.0.0.1).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// Logger receives warnings and debug messages; nil discards them.
	Logger *slog.Logger
}

// providerKind is the family of a storage_provider value.
type providerKind int

const (
	kindAWS providerKind = iota
	kindCompatible
	kindRGW
)

func parseProvider(p string) (providerKind, error) {
	switch v := strings.ToLower(strings.TrimSpace(p)); {
	case v == "s3_compatible" || v == "ibm_storage":
		return kindCompatible, nil
	case v == "s3_rgw":
		return kindRGW, nil
	case strings.HasPrefix(v, "s3"):
		return kindAWS, nil
	default:
		return 0, fmt.Errorf("storage_provider %q is not an S3 provider (want s3, s3_compatible, s3_rgw or a legacy s3_<region> name)", p)
	}
}

// ResolveRegion applies Medusa's region rule; see awsregion.Resolve.
func ResolveRegion(provider, region string) (string, error) {
	return awsregion.Resolve(provider, region)
}

// endpointURL builds the endpoint of S3-compatible stores; "" for AWS.
func endpointURL(kind providerKind, host string, port int, secure bool) (string, error) {
	if kind == kindAWS {
		return "", nil
	}
	host = strings.TrimSpace(host)
	if host == "" {
		return "", fmt.Errorf("host is required for an S3-compatible store: set host (and port) in [storage]")
	}
	if strings.Contains(host, "://") || strings.ContainsAny(host, "/?#") {
		return "", fmt.Errorf("host %q must be a host name or address without scheme or path: use secure = true|false for https|http", host)
	}
	if port < 0 || port > 65535 {
		return "", fmt.Errorf("port %d is out of range", port)
	}
	scheme := "http"
	if secure {
		scheme = "https"
	}
	hostPort := host
	if port > 0 {
		hostPort = net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(port))
	} else if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		hostPort = "[" + host + "]" // bare IPv6 address
	}
	u := url.URL{Scheme: scheme, Host: hostPort}
	return u.String(), nil
}

// usePathStyle decides the addressing style.
func usePathStyle(kind providerKind, style string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(style)) {
	case "", "auto":
		return kind != kindAWS, nil
	case "path":
		return true, nil
	case "virtual":
		return false, nil
	default:
		return false, fmt.Errorf("s3_addressing_style %q is not one of auto, path, virtual", style)
	}
}

// withDefaults fills zero numeric fields.
func (o Options) withDefaults() Options {
	if o.MultipartThreshold <= 0 {
		o.MultipartThreshold = DefaultMultipartThreshold
	}
	if o.MultipartChunkSize <= 0 {
		o.MultipartChunkSize = DefaultMultipartChunkSize
	}
	if o.MultipartConcurrency <= 0 {
		o.MultipartConcurrency = DefaultMultipartConcurrency
	}
	if o.PartAttempts <= 0 {
		o.PartAttempts = DefaultPartAttempts
	}
	if o.MaxConnections <= 0 {
		o.MaxConnections = o.MultipartConcurrency + 10
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = DefaultReadTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.StorageClass = strings.ToUpper(strings.TrimSpace(o.StorageClass))
	return o
}
