package s3

import (
	"bytes"
	"context"
	"encoding/base64"
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

// TestPartSizeAndContentHashes: PartSize is Put's layout (s3_rgw too,
// which uploads in parts though its hashes compare as plain MD5s), and
// ETags are content hashes unless SSE-KMS or SSE-C is on.
func TestPartSizeAndContentHashes(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	for _, tc := range []struct {
		name    string
		o       Options
		content bool
	}{
		{"s3_compatible", Options{Provider: "s3_compatible"}, true},
		{"s3_rgw", Options{Provider: "s3_rgw"}, true},
		{"SSE-KMS", Options{Provider: "s3_compatible", KMSID: "alias/k"}, false},
		{"SSE-C", Options{Provider: "s3_compatible", SSECKey: key}, false},
	} {
		o := tc.o
		o.Bucket, o.Host, o.Port = "b", "127.0.0.1", 1
		o.MultipartThreshold, o.MultipartChunkSize = 5*mib, 8*mib
		b, err := New(t.Context(), o)
		if err != nil {
			t.Fatal(err)
		}
		if small, big := b.PartSize(5*mib-1), b.PartSize(12*mib); small != 0 || big != 8*mib {
			t.Errorf("%s: PartSize = %d below the threshold, %d above; want 0 and 8 MiB", tc.name, small, big)
		}
		if got := b.HashesAreContent(); got != tc.content {
			t.Errorf("%s: HashesAreContent = %v, want %v", tc.name, got, tc.content)
		}
	}
}
