package gcs

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"cloud.google.com/go/auth"
	"cloud.google.com/go/auth/credentials"
	"cloud.google.com/go/auth/httptransport"
	gcs "cloud.google.com/go/storage"
	"google.golang.org/api/option"

	"github.com/medusa-go/medusa/internal/storage"
)

// Defaults for the zero values of Options.
const (
	DefaultChunkSize   = 50 << 20 // Medusa's multipart_chunksize default (50MB)
	DefaultConcurrency = 16       // concurrent requests in DeleteMany
	// DefaultReadTimeout bounds the wait for an answer's header when
	// read_timeout is not set.
	DefaultReadTimeout = 60 * time.Second
	// uploadAttempts bounds the SDK's tries per request of a resumable upload.
	uploadAttempts = 3
	// chunkQuantum is the multiple GCS requires for resumable chunks.
	chunkQuantum = 256 << 10
)

// Options configure a Backend. Bucket is required.
type Options struct {
	// Bucket is [storage] bucket_name.
	Bucket string
	// KeyFile is [storage] key_file: a service-account JSON file ("~" is
	// expanded). Empty means application default credentials, or no
	// credentials at all against an emulator.
	KeyFile string
	// ReadTimeout is [storage] read_timeout: the longest wait for the
	// response headers of one request. Zero means DefaultReadTimeout.
	ReadTimeout time.Duration
	// ChunkSize is [storage] multipart_chunksize: the chunk of a resumable
	// upload, which the SDK buffers in memory (one chunk per upload in
	// flight). Rounded up to 256 KiB. Zero means DefaultChunkSize.
	ChunkSize int64
	// Concurrency bounds the parallel deletes of DeleteMany. Zero means
	// DefaultConcurrency.
	Concurrency int
	// Endpoint overrides the service address, e.g. "http://127.0.0.1:4443"
	// for fake-gcs-server. A bare host:port means http. With an Endpoint
	// and no KeyFile no credentials are sent.
	Endpoint string
	// Logger receives warnings (key file permissions). Nil discards them.
	Logger *slog.Logger
}

func (o *Options) setDefaults() error {
	if o.Bucket == "" {
		return fmt.Errorf("gcs: bucket_name is empty")
	}
	if strings.Contains(o.Bucket, "/") {
		return fmt.Errorf("gcs: bucket_name %q must not contain '/'", o.Bucket)
	}
	if o.ChunkSize < 0 || o.Concurrency < 0 || o.ReadTimeout < 0 {
		return fmt.Errorf("gcs: multipart_chunksize, concurrency and read_timeout must not be negative")
	}
	if o.ChunkSize == 0 {
		o.ChunkSize = DefaultChunkSize
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = DefaultReadTimeout
	}
	if o.ChunkSize > 1<<30 {
		return fmt.Errorf("gcs: multipart_chunksize %d is larger than 1 GiB; the chunk is held in memory", o.ChunkSize)
	}
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// endpointURL turns Options.Endpoint into the JSON API base URL the SDK
// expects ("<scheme>://<host>/storage/v1/"). An endpoint with a path is
// used as given.
func endpointURL(endpoint string) string {
	if endpoint == "" {
		return ""
	}
	if !strings.Contains(endpoint, "://") {
		endpoint = "http://" + endpoint
	}
	scheme, rest, _ := strings.Cut(endpoint, "://")
	host, path, _ := strings.Cut(rest, "/")
	if strings.Trim(path, "/") == "" {
		path = "storage/v1/"
	} else if !strings.HasSuffix(path, "/") {
		path += "/"
	}
	return scheme + "://" + host + "/" + path
}

// chunkSizeFor returns the resumable chunk size for an object of size
// bytes: the configured chunk, but no bigger than the object itself
// (rounded up to 256 KiB), so small objects do not allocate a full chunk.
func chunkSizeFor(size, chunk int64) int {
	if size < chunk {
		chunk = max(size, 1)
	}
	return int((chunk + chunkQuantum - 1) / chunkQuantum * chunkQuantum)
}

// newTransport is the base HTTP transport of every request.
func newTransport(o *Options) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = o.ReadTimeout
	tr.MaxIdleConnsPerHost = o.Concurrency + 4
	return tr
}

// credSource describes where credentials come from, for messages.
func credSource(o *Options) string {
	switch {
	case o.KeyFile != "":
		return "key file " + o.KeyFile
	case o.Endpoint != "" || os.Getenv("STORAGE_EMULATOR_HOST") != "":
		return "no credentials (emulator endpoint)"
	default:
		return "application default credentials"
	}
}

// loadCredentials resolves the credentials: the key file, else nothing for
// an emulator, else application default credentials.
func loadCredentials(o *Options, hc *http.Client) (*auth.Credentials, error) {
	detect := &credentials.DetectOptions{Scopes: []string{gcs.ScopeReadWrite}, Client: hc}
	if o.KeyFile != "" {
		data, err := readKeyFile(o.KeyFile, o.Logger)
		if err != nil {
			return nil, storage.Misconfigured(fmt.Errorf("gcs: %w", err))
		}
		typ, err := parseKeyFile(o.KeyFile, data)
		if err != nil {
			return nil, storage.Misconfigured(fmt.Errorf("gcs: %w", err))
		}
		creds, err := credentials.NewCredentialsFromJSON(typ, data, detect)
		if err != nil {
			// The auth library's messages describe the structure, not the key.
			return nil, fmt.Errorf("gcs: key_file %s: %w", o.KeyFile, err)
		}
		return creds, nil
	}
	if o.Endpoint != "" || os.Getenv("STORAGE_EMULATOR_HOST") != "" {
		return nil, nil
	}
	creds, err := credentials.DetectDefault(detect)
	if err != nil {
		return nil, fmt.Errorf("gcs: no key_file set and no application default credentials found "+
			"(set key_file in [storage], GOOGLE_APPLICATION_CREDENTIALS, or run on GCP with a service account): %w", err)
	}
	return creds, nil
}

// newClient builds the SDK client with our transport, credentials and
// retry policy (SDK retries off; uploads set their own).
func newClient(ctx context.Context, o *Options) (*gcs.Client, error) {
	tr := newTransport(o)
	base := &http.Client{Transport: tr}
	creds, err := loadCredentials(o, base)
	if err != nil {
		return nil, err
	}
	var opts []option.ClientOption
	hc := base
	if creds != nil {
		hc, err = httptransport.NewClient(&httptransport.Options{
			Credentials:      creds,
			BaseRoundTripper: tr,
			DisableTelemetry: true,
		})
		if err != nil {
			return nil, fmt.Errorf("gcs: http client: %w", err)
		}
		if os.Getenv("STORAGE_EMULATOR_HOST") == "" {
			opts = append(opts, option.WithAuthCredentials(creds))
		}
	} else if os.Getenv("STORAGE_EMULATOR_HOST") == "" {
		opts = append(opts, option.WithoutAuthentication())
	}
	opts = append(opts, option.WithHTTPClient(hc))
	if ep := endpointURL(o.Endpoint); ep != "" {
		opts = append(opts, option.WithEndpoint(ep))
	}
	c, err := gcs.NewClient(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("gcs: client: %w", err)
	}
	c.SetRetry(gcs.WithPolicy(gcs.RetryNever))
	return c, nil
}
