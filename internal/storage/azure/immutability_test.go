package azure

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestImmutability reads a container's immutability through the real SDK
// from Get Container Properties headers as the Blob service documents
// them (Azurite sends none of them).
func TestImmutability(t *testing.T) {
	for _, c := range []struct {
		name    string
		headers map[string]string
		want    Immutability
	}{
		{"azurite", nil, Immutability{}},
		{"none", map[string]string{"x-ms-has-immutability-policy": "false", "x-ms-has-legal-hold": "false"}, Immutability{Known: true}},
		{"policy", map[string]string{"x-ms-has-immutability-policy": "true", "x-ms-has-legal-hold": "false",
			"x-ms-immutable-storage-with-versioning-enabled": "true"}, Immutability{Known: true, Policy: true, VersionLevel: true}},
		{"legal-hold", map[string]string{"x-ms-has-immutability-policy": "false", "x-ms-has-legal-hold": "true"},
			Immutability{Known: true, LegalHold: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Query().Get("restype") != "container" {
					t.Errorf("unexpected request %s %s", r.Method, r.URL)
				}
				w.Header().Set("ETag", `"0x8D9"`)
				w.Header().Set("Last-Modified", "Mon, 02 Jan 2026 03:04:05 GMT")
				w.Header().Set("x-ms-version", "2021-12-02")
				for k, v := range c.headers {
					w.Header().Set(k, v)
				}
				w.WriteHeader(http.StatusOK)
			}))
			defer srv.Close()
			b, err := New(Options{Account: "devstoreaccount1", Key: "a2V5", Endpoint: srv.URL + "/devstoreaccount1", Container: "c"})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			got, err := b.Immutability(t.Context())
			if err != nil || got != c.want {
				t.Errorf("Immutability = %+v, %v; want %+v", got, err, c.want)
			}
		})
	}
}
