package s3

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

// medusaVector is bytes 0..255 repeated over 11 MiB, then "tail"; its
// ETags were computed independently (Python hashlib, Medusa's algorithm).
func medusaVector() []byte {
	return append(bytes.Repeat(func() []byte {
		b := make([]byte, 256)
		for i := range b {
			b[i] = byte(i)
		}
		return b
	}(), 11*mib/256), "tail"...)
}

func TestExpectedHashRGWNeverMultipart(t *testing.T) {
	data := medusaVector()
	for _, tc := range []struct{ provider, want string }{
		{"s3_compatible", "7b5b2cf501b74fad33a91763af39b0c9-3"},
		{"s3_rgw", "4741ea684fa9d3898949d30ef29142fe"},
	} {
		b, err := New(t.Context(), Options{Provider: tc.provider, Bucket: "b", Host: "127.0.0.1", Port: 1,
			MultipartThreshold: 5 * mib, MultipartChunkSize: 5 * mib})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := b.ExpectedHash(t.Context(), bytes.NewReader(data)); err != nil || got != tc.want {
			t.Errorf("%s: ExpectedHash = %q, %v; want %q", tc.provider, got, err, tc.want)
		}
	}
}

func TestExpectedHashCancelled(t *testing.T) {
	b, err := New(t.Context(), Options{Provider: "s3", Bucket: "b"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := b.ExpectedHash(ctx, bytes.NewReader(make([]byte, 100))); !errors.Is(err, context.Canceled) {
		t.Errorf("ExpectedHash with a cancelled context: %v", err)
	}
}
