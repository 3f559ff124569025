package azure

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/medusa-go/medusa/internal/storage"
)

// statusServer answers every request with status and error code.
func statusServer(t *testing.T, status int, code string, calls *atomic.Int32) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if code != "" {
			w.Header().Set("x-ms-error-code", code)
		}
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?><Error><Code>%s</Code><Message>m</Message></Error>`, code)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestStatusFromServer drives the SDK against a server answering one
// status, and checks the translation and that the SDK made one attempt.
func TestStatusFromServer(t *testing.T) {
	tests := []struct {
		status    int
		code      string
		want      error
		transient bool
	}{
		{403, "AuthenticationFailed", storage.ErrAccessDenied, false},
		{404, "BlobNotFound", storage.ErrNotExist, false},
		{404, "ContainerNotFound", storage.ErrBucketNotExist, false},
		{503, "ServerBusy", nil, true},
		{500, "InternalError", nil, true},
		{429, "", nil, true},
		{400, "InvalidHeaderValue", nil, false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%d %s", tc.status, tc.code), func(t *testing.T) {
			var calls atomic.Int32
			srv := statusServer(t, tc.status, tc.code, &calls)
			b, err := New(Options{Account: "devstoreaccount1", Key: "a2V5", Endpoint: srv.URL + "/devstoreaccount1", Container: "c"})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			for _, op := range []struct {
				name string
				call func() error
			}{
				{"Stat", func() error { _, err := b.Stat(t.Context(), "a/b"); return err }},
				{"Get", func() error { _, _, err := b.Get(t.Context(), "a/b", 0, -1); return err }},
				{"Put", func() error { _, err := b.Put(t.Context(), "a/b", strings.NewReader("x")); return err }},
			} {
				calls.Store(0)
				err := op.call()
				if tc.want != nil && !errors.Is(err, tc.want) {
					t.Errorf("%s error %v, want %v", op.name, err, tc.want)
				}
				if err == nil || storage.IsTransient(err) != tc.transient {
					t.Errorf("%s error %v: transient %v, want %v", op.name, err, storage.IsTransient(err), tc.transient)
				}
				if n := calls.Load(); n != 1 {
					t.Errorf("%s: server saw %d requests, want 1 (SDK retries must be off)", op.name, n)
				}
			}
		})
	}
}

// failingCredential never yields a token.
type failingCredential struct{}

func (failingCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{}, errors.New("DefaultAzureCredential: failed to acquire a token.\nAttempted credentials:\n\tEnvironmentCredential: missing")
}

// TestTokenFailure checks that a credential that cannot get a token gives
// a permanent ErrAccessDenied naming the credentials source.
func TestTokenFailure(t *testing.T) {
	var calls atomic.Int32
	srv := statusServer(t, 200, "", &calls)
	o := Options{Endpoint: srv.URL + "/acct", Container: "c"}
	if err := o.setDefaults(); err != nil {
		t.Fatal(err)
	}
	creds := &credentials{account: "acct", token: markedCredential{failingCredential{}}, source: "DefaultAzureCredential (account acct)"}
	client, tr, err := newContainerClient(&o, creds)
	if err != nil {
		t.Fatal(err)
	}
	b := &Backend{client: client, tr: tr, opts: o, creds: creds.source}
	_, err = b.Stat(t.Context(), "x")
	if !errors.Is(err, storage.ErrAccessDenied) || storage.IsTransient(err) {
		t.Fatalf("Stat with a failing credential: %v, want a permanent ErrAccessDenied", err)
	}
	if !strings.Contains(err.Error(), "DefaultAzureCredential (account acct)") || strings.Contains(err.Error(), "\n") {
		t.Errorf("message %q does not name the credentials source in one line", err)
	}
	if calls.Load() != 0 {
		t.Errorf("a request went out without a token")
	}
}
