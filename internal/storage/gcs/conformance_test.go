package gcs

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/retry"
	"github.com/medusa-go/medusa/internal/storage/storagetest"
	"github.com/medusa-go/medusa/internal/testbed"
)

// testChunk is the resumable chunk size of the integration tests: small,
// so multi-chunk uploads stay quick.
const testChunk = 1 << 20

func newTestBackend(t *testing.T, opts Options) *Backend {
	t.Helper()
	b, err := New(t.Context(), opts)
	if err != nil {
		t.Fatalf("gcs.New: %v", err)
	}
	return b
}

// TestConformance runs the shared suite against fake-gcs-server. The
// emulator accepts customer-supplied keys without enforcing them, so the
// SSE-C capability is off.
func TestConformance(t *testing.T) {
	t.Run("gcs", func(t *testing.T) {
		srv := testbed.GCST(t)
		opts := Options{Bucket: srv.Bucket, Endpoint: srv.URL, ChunkSize: testChunk}
		storagetest.Run(t, func(t *testing.T) storage.Backend { return newTestBackend(t, opts) },
			storagetest.Capabilities{
				ExpectedHash: storagetest.Base64MD5,
				Resume: func(b storage.Backend) storage.Backend {
					return retry.New(b, retry.Policy{BaseDelay: time.Millisecond})
				},
				PartSize: testChunk,
				MissingBucket: func(t *testing.T) storage.Backend {
					o := opts
					o.Bucket = "no-such-bucket"
					return newTestBackend(t, o)
				},
			})
	})
}

// TestMultiChunkHash uploads an object of several resumable chunks and
// checks the chunks really were separate requests, the content and that
// the hash is base64(md5(data)), as Medusa records it.
func TestMultiChunkHash(t *testing.T) {
	srv := testbed.GCST(t)
	var chunkPuts atomic.Int32
	var self atomic.Value // the proxy's URL, for rewriting upload session URLs
	proxy := httptest.NewServer(countingProxy(t, srv.URL, &self, &chunkPuts))
	defer proxy.Close()
	self.Store(proxy.URL)
	b := newTestBackend(t, Options{Bucket: srv.Bucket, Endpoint: proxy.URL, ChunkSize: 256 << 10})
	defer b.Close()
	src := storagetest.Pattern{N: 3*(256<<10) + 1234, Seed: 7}
	sum := md5.Sum(src.Bytes())
	want := base64.StdEncoding.EncodeToString(sum[:])
	info, err := b.Put(t.Context(), "multi/chunk.db", src)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if info.Hash != want || info.Size != src.N {
		t.Errorf("Put = %+v, want hash %s size %d", info, want, src.N)
	}
	if n := chunkPuts.Load(); n < 4 {
		t.Errorf("upload used %d chunk requests, want at least 4 (3 full chunks and a tail)", n)
	}
	st, err := b.Stat(t.Context(), "multi/chunk.db")
	if err != nil || st.Hash != want {
		t.Errorf("Stat = %+v, %v; want hash %s", st, err, want)
	}
	rc, _, err := b.Get(t.Context(), "multi/chunk.db", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, src.Bytes()) {
		t.Errorf("Get: %d bytes, %v; content differs", len(got), err)
	}
}

// countingProxy forwards to target and counts resumable-upload chunk
// requests (those with a Content-Range). Upload session URLs in Location
// headers point at target; they are rewritten to the proxy (self).
func countingProxy(t *testing.T, target string, self *atomic.Value, puts *atomic.Int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Range") != "" {
			puts.Add(1)
		}
		req, err := http.NewRequestWithContext(r.Context(), r.Method, target+r.URL.RequestURI(), r.Body)
		if err != nil {
			t.Error(err)
			return
		}
		req.Header = r.Header.Clone()
		req.ContentLength = r.ContentLength
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		if loc := resp.Header.Get("Location"); loc != "" {
			w.Header().Set("Location", strings.Replace(loc, target, self.Load().(string), 1))
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	})
}

// TestEmulatorHostEnv checks the SDK's own STORAGE_EMULATOR_HOST route:
// no Endpoint, no key file, no credentials.
func TestEmulatorHostEnv(t *testing.T) {
	srv := testbed.GCST(t)
	t.Setenv("STORAGE_EMULATOR_HOST", srv.Host)
	b := newTestBackend(t, Options{Bucket: srv.Bucket})
	defer b.Close()
	if b.creds != "no credentials (emulator endpoint)" {
		t.Errorf("credentials source %q", b.creds)
	}
	if _, err := b.Put(t.Context(), "env/x", bytes.NewReader([]byte("hello"))); err != nil {
		t.Fatalf("Put through STORAGE_EMULATOR_HOST: %v", err)
	}
	var keys []string
	for info, err := range b.List(t.Context(), "env/") {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, info.Key)
	}
	if fmt.Sprint(keys) != "[env/x]" {
		t.Errorf("List = %q", keys)
	}
	if err := b.DeleteMany(t.Context(), []string{"env/x", "env/missing"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Stat(t.Context(), "env/x"); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("Stat after DeleteMany: %v", err)
	}
}

// TestFolderPlaceholders checks that List skips the zero-byte "dir/"
// objects consoles create for folders.
func TestFolderPlaceholders(t *testing.T) {
	srv := testbed.GCST(t)
	b := newTestBackend(t, Options{Bucket: srv.Bucket, Endpoint: srv.URL})
	defer b.Close()
	for _, key := range []string{"ph/dir/", "ph/dir/file", "ph/other"} {
		if _, err := b.Put(t.Context(), key, bytes.NewReader(nil)); err != nil {
			t.Fatalf("Put(%s): %v", key, err)
		}
	}
	var keys []string
	for info, err := range b.List(t.Context(), "ph/") {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, info.Key)
	}
	if fmt.Sprint(keys) != "[ph/dir/file ph/other]" {
		t.Errorf("List = %q, want the two objects without the folder placeholder", keys)
	}
}

// TestApplicationDefaultCredentials checks the no-key-file route through
// GOOGLE_APPLICATION_CREDENTIALS (New makes no request).
func TestApplicationDefaultCredentials(t *testing.T) {
	t.Setenv("STORAGE_EMULATOR_HOST", "")
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", writeServiceAccount(t, "http://127.0.0.1:1/token"))
	b, err := New(t.Context(), Options{Bucket: "bkt"})
	if err != nil {
		t.Fatalf("New with application default credentials: %v", err)
	}
	b.Close()
	if b.creds != "application default credentials" {
		t.Errorf("credentials source %q", b.creds)
	}
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/adc.json")
	if _, err := New(t.Context(), Options{Bucket: "bkt"}); err == nil ||
		!strings.Contains(err.Error(), "no application default credentials") {
		t.Errorf("New with a broken GOOGLE_APPLICATION_CREDENTIALS: %v", err)
	}
}
