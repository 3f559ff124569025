package gcs

import (
	"strings"
	"testing"
)

func TestEndpointURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"127.0.0.1:4443", "http://127.0.0.1:4443/storage/v1/"},
		{"http://127.0.0.1:4443", "http://127.0.0.1:4443/storage/v1/"},
		{"http://127.0.0.1:4443/", "http://127.0.0.1:4443/storage/v1/"},
		{"https://gcs.example.com", "https://gcs.example.com/storage/v1/"},
		{"https://gcs.example.com/custom/v1", "https://gcs.example.com/custom/v1/"},
		{"https://gcs.example.com/storage/v1/", "https://gcs.example.com/storage/v1/"},
	}
	for _, tc := range tests {
		if got := endpointURL(tc.in); got != tc.want {
			t.Errorf("endpointURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestChunkSizeFor(t *testing.T) {
	const q = 256 << 10
	tests := []struct {
		size, chunk int64
		want        int
	}{
		{0, 50 << 20, q},
		{1, 50 << 20, q},
		{q, 50 << 20, q},
		{q + 1, 50 << 20, 2 * q},
		{10 << 20, 50 << 20, 10 << 20},
		{100 << 20, 50 << 20, 50 << 20},
		{100 << 20, 1<<20 + 1, 1<<20 + q}, // rounded up to 256 KiB
		{100 << 20, 100, q},
	}
	for _, tc := range tests {
		if got := chunkSizeFor(tc.size, tc.chunk); got != tc.want {
			t.Errorf("chunkSizeFor(%d, %d) = %d, want %d", tc.size, tc.chunk, got, tc.want)
		}
	}
}

func TestOptionsDefaults(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{"ok", Options{Bucket: "b"}, ""},
		{"no bucket", Options{}, "bucket_name is empty"},
		{"slash", Options{Bucket: "a/b"}, "must not contain '/'"},
		{"negative", Options{Bucket: "b", ChunkSize: -1}, "must not be negative"},
		{"huge chunk", Options{Bucket: "b", ChunkSize: 2 << 30}, "larger than 1 GiB"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			err := o.setDefaults()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("setDefaults error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.ChunkSize != DefaultChunkSize || o.Concurrency != DefaultConcurrency || o.Logger == nil {
				t.Errorf("defaults not applied: %+v", o)
			}
		})
	}
}

func TestCredSource(t *testing.T) {
	t.Setenv("STORAGE_EMULATOR_HOST", "")
	tests := []struct {
		opts Options
		want string
	}{
		{Options{KeyFile: "/k.json"}, "key file /k.json"},
		{Options{Endpoint: "http://127.0.0.1:1"}, "no credentials (emulator endpoint)"},
		{Options{}, "application default credentials"},
	}
	for _, tc := range tests {
		if got := credSource(&tc.opts); got != tc.want {
			t.Errorf("credSource(%+v) = %q, want %q", tc.opts, got, tc.want)
		}
	}
}
