package azure

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/medusa-go/medusa/internal/storage"
)

// Defaults and limits.
const (
	DefaultBlockSize   = 50 << 20 // Medusa's multipart_chunksize default (50MB)
	DefaultConcurrency = 16       // Medusa's upload max_concurrency
	// DefaultReadTimeout bounds the wait for an answer's header when
	// read_timeout is not set.
	DefaultReadTimeout = 60 * time.Second
	// AccountEnv names the account when no key file is given.
	AccountEnv = "AZURE_STORAGE_ACCOUNT"

	maxBlockSize  = 4000 << 20 // service limit per block
	maxBlocks     = 50_000     // service limit per blob
	uploadRetries = 3          // SDK retries per staged block
)

// Options configure a Backend. Container and credentials are required.
type Options struct {
	// Account is the storage account. A key file's storage_account takes
	// precedence; without a key file and without Account, the
	// AZURE_STORAGE_ACCOUNT variable names it.
	Account string
	// Key is the account's shared key (base64). Secret: never logged.
	Key string
	// KeyFile is [storage] key_file: JSON {"storage_account", "key"}; "~"
	// is expanded. Used when Key is empty. Neither Key nor KeyFile:
	// DefaultAzureCredential.
	KeyFile string
	// HostSuffix is [storage] host: the domain after "blob.core."
	// (default windows.net); Port is [storage] port (0: none).
	HostSuffix string
	Port       int
	// Endpoint overrides the service URL, e.g. Azurite's
	// http://127.0.0.1:10000/devstoreaccount1.
	Endpoint string
	// Container is [storage] bucket_name.
	Container string
	// BlockSize is [storage] multipart_chunksize: the block size of
	// uploads; objects up to one block go in one request. Zero means
	// DefaultBlockSize.
	BlockSize int64
	// Concurrency is the number of blocks in flight per upload and of
	// concurrent deletes when batches are refused. Zero: DefaultConcurrency.
	Concurrency int
	// Tier is [storage] storage_class: Hot, Cool, Cold or Archive, any
	// case. Empty: the account's default tier.
	Tier string
	// ReadTimeout is [storage] read_timeout: the longest wait for the
	// response headers of one request. Zero means DefaultReadTimeout.
	ReadTimeout time.Duration
	// Logger receives warnings. Nil discards them.
	Logger *slog.Logger
}

// String formats the options with the key redacted, so logging them (even
// with %+v) never shows it.
func (o Options) String() string {
	key := ""
	if o.Key != "" {
		key = "[REDACTED]"
	}
	return fmt.Sprintf("{Account:%s Key:%s KeyFile:%s HostSuffix:%s Port:%d Endpoint:%s Container:%s BlockSize:%d Concurrency:%d Tier:%s ReadTimeout:%s}",
		o.Account, key, o.KeyFile, o.HostSuffix, o.Port, o.Endpoint, o.Container, o.BlockSize, o.Concurrency, o.Tier, o.ReadTimeout)
}

func (o *Options) setDefaults() error {
	if o.Container == "" {
		return fmt.Errorf("azure: bucket_name (the container) is empty")
	}
	if strings.Contains(o.Container, "/") {
		return fmt.Errorf("azure: bucket_name %q must not contain '/'", o.Container)
	}
	if o.BlockSize < 0 || o.Concurrency < 0 || o.ReadTimeout < 0 || o.Port < 0 {
		return fmt.Errorf("azure: multipart_chunksize, concurrency, port and read_timeout must not be negative")
	}
	if o.BlockSize == 0 {
		o.BlockSize = DefaultBlockSize
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = DefaultReadTimeout
	}
	if o.BlockSize > maxBlockSize {
		return fmt.Errorf("azure: multipart_chunksize %d is above the service's block limit of 4000 MiB", o.BlockSize)
	}
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// parseTier maps Medusa's storage_class to an access tier.
func parseTier(class string) (*blob.AccessTier, error) {
	if class == "" {
		return nil, nil
	}
	for _, t := range []blob.AccessTier{blob.AccessTierHot, blob.AccessTierCool, blob.AccessTierCold, blob.AccessTierArchive} {
		if strings.EqualFold(class, string(t)) {
			return &t, nil
		}
	}
	return nil, fmt.Errorf("azure: storage_class %q is not an access tier; use Hot, Cool, Cold or Archive", class)
}

var accountName = regexp.MustCompile(`^[a-z0-9]{3,24}$`)

// serviceURL is https://<account>.blob.core.<suffix or windows.net>[:port]/.
func serviceURL(account, suffix string, port int) (string, error) {
	if !accountName.MatchString(account) {
		return "", fmt.Errorf("azure: storage account %q is not a valid account name (3-24 lowercase letters and digits)", account)
	}
	suffix = strings.Trim(suffix, "./")
	if suffix == "" {
		suffix = "windows.net"
	}
	if strings.ContainsAny(suffix, "/:@ ") {
		return "", fmt.Errorf("azure: host %q must be a domain suffix such as usgovcloudapi.net", suffix)
	}
	p := ""
	if port > 0 {
		p = fmt.Sprintf(":%d", port)
	}
	return fmt.Sprintf("https://%s.blob.core.%s%s/", account, suffix, p), nil
}

// credentials is what New resolved: either a shared key or a token
// credential, the account, and a description for messages.
type credentials struct {
	account string
	shared  *container.SharedKeyCredential
	token   azcore.TokenCredential
	source  string
}

// resolveCredentials applies the precedence Key > KeyFile > default chain.
func resolveCredentials(o *Options) (*credentials, error) {
	account, key, source := o.Account, o.Key, "the configured shared key"
	if key == "" && o.KeyFile != "" {
		path, err := expandHome(o.KeyFile)
		if err != nil {
			return nil, storage.Misconfigured(fmt.Errorf("azure: key_file: %w", err))
		}
		data, err := readKeyFile(path, o.Logger)
		if err != nil {
			return nil, storage.Misconfigured(fmt.Errorf("azure: %w", err))
		}
		if account, key, err = parseKeyFile(path, data); err != nil {
			return nil, storage.Misconfigured(fmt.Errorf("azure: %w", err))
		}
		source = "the shared key in key file " + path
	}
	if key != "" {
		if account == "" {
			return nil, fmt.Errorf("azure: a shared key needs the storage account name")
		}
		cred, err := container.NewSharedKeyCredential(account, key)
		if err != nil {
			return nil, fmt.Errorf("azure: the shared key of account %s is not base64", account)
		}
		return &credentials{account: account, shared: cred, source: source}, nil
	}
	if account == "" {
		account = os.Getenv(AccountEnv)
	}
	if account == "" {
		return nil, fmt.Errorf("azure: no key_file is set, so the storage account must come from %s, which is not set", AccountEnv)
	}
	cred, err := azidentity.NewDefaultAzureCredential(nil)
	if err != nil {
		return nil, fmt.Errorf("azure: DefaultAzureCredential: %w", err)
	}
	return &credentials{account: account, token: markedCredential{cred},
		source: "DefaultAzureCredential (account " + account + ")"}, nil
}

// newContainerClient builds the SDK client: our transport, SDK retries
// off (uploads turn them on per block), the resolved credentials.
func newContainerClient(o *Options, creds *credentials) (*container.Client, *http.Transport, error) {
	base := o.Endpoint
	if base == "" {
		u, err := serviceURL(creds.account, o.HostSuffix, o.Port)
		if err != nil {
			return nil, nil, err
		}
		base = u
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = o.ReadTimeout
	tr.MaxIdleConnsPerHost = o.Concurrency + 4
	copts := &container.ClientOptions{ClientOptions: azcore.ClientOptions{
		Retry:     policy.RetryOptions{MaxRetries: -1},
		Transport: &http.Client{Transport: tr},
		// Only an explicit http:// Endpoint (an emulator) sends a token in clear.
		InsecureAllowCredentialWithHTTP: strings.HasPrefix(o.Endpoint, "http://"),
	}}
	containerURL := runtime.JoinPaths(base, o.Container)
	var (
		c   *container.Client
		err error
	)
	if creds.shared != nil {
		c, err = container.NewClientWithSharedKeyCredential(containerURL, creds.shared, copts)
	} else {
		c, err = container.NewClient(containerURL, creds.token, copts)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("azure: client for %s: %w", containerURL, err)
	}
	return c, tr, nil
}
