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

// legacyRegions maps Medusa's (libcloud's) region-named providers to AWS
// regions (s3_base_storage.py LIBCLOUD_REGION_NAME_MAP).
var legacyRegions = map[string]string{
	"S3_US_EAST":        "us-east-1",
	"S3_US_EAST1":       "us-east-1",
	"S3_US_EAST2":       "us-east-2",
	"S3_US_WEST":        "us-west-1",
	"S3_US_WEST2":       "us-west-2",
	"S3_US_WEST_OREGON": "us-west-2",
	"S3_US_GOV_EAST":    "us-gov-east-1",
	"S3_US_GOV_WEST":    "us-gov-west-1",
	"S3_EU_WEST":        "eu-west-1",
	"S3_EU_WEST2":       "eu-west-2",
	"S3_EU_CENTRAL":     "eu-central-1",
	"S3_EU_NORTH1":      "eu-north-1",
	"S3_AP_SOUTH":       "ap-south-1",
	"S3_AP_SOUTHEAST":   "ap-southeast-1",
	"S3_AP_SOUTHEAST2":  "ap-southeast-2",
	"S3_AP_NORTHEAST":   "ap-northeast-1",
	"S3_AP_NORTHEAST1":  "ap-northeast-1",
	"S3_AP_NORTHEAST2":  "ap-northeast-2",
	"S3_SA_EAST":        "sa-east-1",
	"S3_SA_EAST2":       "sa-east-2",
	"S3_CA_CENTRAL":     "ca-central-1",
	"S3_CN_NORTH":       "cn-north-1",
	"S3_CN_NORTHWEST":   "cn-northwest-1",
	"S3_AF_SOUTH":       "af-south-1",
	"S3_ME_SOUTH":       "me-south-1",
}

// ResolveRegion applies Medusa's region rule: an explicit region other than
// "default" wins; s3, s3_compatible, s3_rgw and ibm_storage default to
// us-east-1 (Medusa raised "Unknown provider name" for s3_rgw: fixed); any
// other provider name is looked up in the legacy libcloud table, also in its
// libcloud spelling with an underscore before the digit (s3_us_east_2).
func ResolveRegion(provider, region string) (string, error) {
	if r := strings.TrimSpace(region); r != "" && r != "default" {
		return r, nil
	}
	name := strings.ToUpper(strings.TrimSpace(provider))
	switch name {
	case "S3", "S3_COMPATIBLE", "S3_RGW", "IBM_STORAGE":
		return DefaultRegion, nil
	}
	if r, ok := legacyRegions[name]; ok {
		return r, nil
	}
	if i := strings.LastIndexByte(name, '_'); i > 0 && i+1 < len(name) && isDigits(name[i+1:]) {
		if r, ok := legacyRegions[name[:i]+name[i+1:]]; ok {
			return r, nil
		}
	}
	return "", fmt.Errorf("storage_provider %q has no known legacy region and region is %q: set region = <AWS region, e.g. us-west-2> in [storage]", provider, region)
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
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
