package gcs

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestRetentionPolicy reads a bucket's retention policy through the real
// SDK from the JSON API's documented bucket resource (fake-gcs-server does
// not keep retention policies).
func TestRetentionPolicy(t *testing.T) {
	for _, c := range []struct {
		name, body string
		want       Retention
	}{
		{"none", `{"kind":"storage#bucket","name":"bkt","id":"bkt"}`, Retention{}},
		{"locked-30d", `{"kind":"storage#bucket","name":"bkt","id":"bkt","retentionPolicy":` +
			`{"retentionPeriod":"2592000","effectiveTime":"2026-01-02T03:04:05.000Z","isLocked":true}}`,
			Retention{Period: 30 * 24 * time.Hour, Locked: true}},
		{"unlocked-1d", `{"kind":"storage#bucket","name":"bkt","id":"bkt","retentionPolicy":{"retentionPeriod":"86400","effectiveTime":"2026-01-02T03:04:05.000Z"}}`,
			Retention{Period: 24 * time.Hour}},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/storage/v1/b/bkt" && r.URL.Path != "/b/bkt" {
					t.Errorf("unexpected request %s %s", r.Method, r.URL)
				}
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(c.body))
			}))
			defer srv.Close()
			b, err := New(t.Context(), Options{Bucket: "bkt", Endpoint: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			got, err := b.RetentionPolicy(t.Context())
			if err != nil || got != c.want {
				t.Errorf("RetentionPolicy = %+v, %v; want %+v", got, err, c.want)
			}
		})
	}
}
