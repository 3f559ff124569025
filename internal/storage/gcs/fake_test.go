package gcs

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/medusa-go/medusa/internal/storage"
)

// TestStatusFromServer drives the real SDK against an HTTP server that
// answers every request with one status, and checks the translation and
// that the SDK made a single attempt (its retries are off).
func TestStatusFromServer(t *testing.T) {
	tests := []struct {
		status    int
		want      error
		transient bool
	}{
		{http.StatusForbidden, storage.ErrAccessDenied, false},
		{http.StatusUnauthorized, storage.ErrAccessDenied, false},
		{http.StatusNotFound, storage.ErrNotExist, false},
		{http.StatusTooManyRequests, nil, true},
		{http.StatusServiceUnavailable, nil, true},
		{http.StatusInternalServerError, nil, true},
		{http.StatusBadRequest, nil, false},
	}
	for _, tc := range tests {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				fmt.Fprintf(w, `{"error":{"code":%d,"message":"status %d"}}`, tc.status, tc.status)
			}))
			defer srv.Close()
			b, err := New(t.Context(), Options{Bucket: "bkt", Endpoint: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			_, err = b.Stat(t.Context(), "a/b")
			if err == nil {
				t.Fatal("Stat succeeded")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Stat error %v, want %v", err, tc.want)
			}
			if storage.IsTransient(err) != tc.transient {
				t.Errorf("IsTransient(%v) = %v, want %v", err, !tc.transient, tc.transient)
			}
			if n := calls.Load(); n != 1 {
				t.Errorf("server saw %d requests, want 1 (SDK retries must be off)", n)
			}
		})
	}
}

// writeServiceAccount writes a service-account key file whose token_uri
// is tokenURL, with a fresh RSA key.
func writeServiceAccount(t *testing.T, tokenURL string) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	sa, _ := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "medusa-test", "private_key_id": "k1",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "medusa@medusa-test.iam.gserviceaccount.com", "client_id": "1",
		"token_uri": tokenURL,
	})
	path := filepath.Join(t.TempDir(), "gcs.json")
	if err := os.WriteFile(path, sa, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestKeyFileCredentials checks that a service-account key file is used:
// the token comes from its token_uri and every request carries it.
func TestKeyFileCredentials(t *testing.T) {
	var tokens atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/token":
			tokens.Add(1)
			if err := r.ParseForm(); err != nil || r.PostForm.Get("assertion") == "" {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprint(w, `{"error":"invalid_grant"}`)
				return
			}
			fmt.Fprint(w, `{"access_token":"tok-123","token_type":"Bearer","expires_in":3600}`)
		case r.Header.Get("Authorization") != "Bearer tok-123":
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":{"code":401,"message":"no token"}}`)
		case r.URL.Path == "/storage/v1/b/bkt/o/a/b" || r.URL.Path == "/storage/v1/b/bkt/o/a%2Fb":
			fmt.Fprint(w, `{"name":"a/b","bucket":"bkt","size":"5","md5Hash":"XUFAKrxLKna5cZ2REBfFkg==","updated":"2026-01-02T03:04:05Z"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, `{"error":{"code":404,"message":"unexpected path %s"}}`, r.URL.Path)
		}
	}))
	defer srv.Close()
	keyFile := writeServiceAccount(t, srv.URL+"/token")
	b, err := New(t.Context(), Options{Bucket: "bkt", Endpoint: srv.URL, KeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	info, err := b.Stat(t.Context(), "a/b")
	if err != nil {
		t.Fatalf("Stat with key-file credentials: %v", err)
	}
	if info.Key != "a/b" || info.Size != 5 || info.Hash != "XUFAKrxLKna5cZ2REBfFkg==" || info.ModTime.Year() != 2026 {
		t.Errorf("Stat = %+v", info)
	}
	if tokens.Load() == 0 {
		t.Error("the token endpoint of the key file was never called")
	}
}

// TestTokenRefused checks that credentials the token endpoint rejects give
// ErrAccessDenied naming the key file, not a transient error.
func TestTokenRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":"invalid_grant","error_description":"account disabled"}`)
	}))
	defer srv.Close()
	keyFile := writeServiceAccount(t, srv.URL+"/token")
	b, err := New(t.Context(), Options{Bucket: "bkt", Endpoint: srv.URL, KeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	_, err = b.Stat(t.Context(), "a/b")
	if !errors.Is(err, storage.ErrAccessDenied) || storage.IsTransient(err) {
		t.Fatalf("Stat with refused credentials: %v, want a permanent ErrAccessDenied", err)
	}
	if !strings.Contains(err.Error(), keyFile) || strings.Contains(err.Error(), "PRIVATE KEY") {
		t.Errorf("message %q should name the key file and nothing secret", err)
	}
}

func TestNewRejectsBadKeyFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content string
		mode          os.FileMode
		wantErr       string
	}{
		{"bad json", "{", 0o600, "not valid JSON"},
		{"writable by others", `{"type":"service_account"}`, 0o666, "writable by group or others"},
		{"missing fields", `{"type":"service_account"}`, 0o600, "without client_email and private_key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".json")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			_, err := New(t.Context(), Options{Bucket: "bkt", KeyFile: path})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("New error = %v, want %q", err, tc.wantErr)
			}
		})
	}
}
