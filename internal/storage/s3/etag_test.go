package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"strings"
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

func TestExpectedETagVectors(t *testing.T) {
	vec := medusaVector()
	tests := []struct {
		name             string
		data             []byte
		threshold, chunk int64
		want             string
	}{
		{"empty", nil, 20 * mib, 50 * mib, "d41d8cd98f00b204e9800998ecf8427e"},
		{"hello", []byte("hello"), 20 * mib, 50 * mib, "5d41402abc4b2a76b9719d911017c592"},
		{"below threshold", vec, 20 * mib, 5 * mib, "4741ea684fa9d3898949d30ef29142fe"},
		{"no threshold", vec, 0, 5 * mib, "4741ea684fa9d3898949d30ef29142fe"},
		{"three parts", vec, 5 * mib, 5 * mib, "7b5b2cf501b74fad33a91763af39b0c9-3"},
		{"chunk below 5 MiB is raised to 5 MiB", vec, 5 * mib, 1 * mib, "7b5b2cf501b74fad33a91763af39b0c9-3"},
	}
	for _, tc := range tests {
		got, err := ExpectedETag(bytes.NewReader(tc.data), tc.threshold, tc.chunk)
		if err != nil || got != tc.want {
			t.Errorf("%s: ExpectedETag = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

// TestExpectedETagByHand recomputes a 3-part ETag with crypto/md5 directly.
func TestExpectedETagByHand(t *testing.T) {
	data := randomBytes(12*mib+12345, 42)
	const chunk = 5 * mib
	var sums []byte
	for off := 0; off < len(data); off += chunk {
		s := md5.Sum(data[off:min(off+chunk, len(data))])
		sums = append(sums, s[:]...)
	}
	all := md5.Sum(sums)
	want := hex.EncodeToString(all[:]) + "-3"
	for _, threshold := range []int64{1, 5 * mib, 12*mib + 12345} {
		if got, err := ExpectedETag(bytes.NewReader(data), threshold, chunk); err != nil || got != want {
			t.Errorf("threshold %d: ExpectedETag = %q, %v; want %q", threshold, got, err, want)
		}
	}
	// Between threshold and chunk size: one part, "-1".
	one := md5.Sum(data[:6*mib])
	oneOfOne := md5.Sum(one[:])
	if got, _ := ExpectedETag(bytes.NewReader(data[:6*mib]), 6*mib, 8*mib); got != hex.EncodeToString(oneOfOne[:])+"-1" {
		t.Errorf("one-part multipart ETag = %q", got)
	}
}

func TestPartLayout(t *testing.T) {
	tests := []struct {
		size, threshold, chunk int64
		multipart              bool
		partSize               int64
		parts                  int
	}{
		{0, 20 * mib, 50 * mib, false, 0, 1},
		{20*mib - 1, 20 * mib, 50 * mib, false, 20*mib - 1, 1},
		{20 * mib, 20 * mib, 50 * mib, true, 50 * mib, 1},
		{100*mib + 1, 20 * mib, 50 * mib, true, 50 * mib, 3},
		{100 * mib, 20 * mib, 0, true, 8 * mib, 13},
		{30 * mib, 20 * mib, 1 * mib, true, 5 * mib, 6},
		{20 << 30, 20 * mib, 10 << 30, true, 5 << 30, 4},
		{1 << 40, 20 * mib, 50 * mib, true, 200 * mib, 5243}, // boto3 doubles past 10,000 parts
		{500*1000*mib + 1, 20 * mib, 50 * mib, true, 100 * mib, 5001},
		{500 * 1000 * mib, 20 * mib, 50 * mib, true, 50 * mib, 10000},
		{6 << 30, 100 << 30, 50 * mib, true, 50 * mib, 123}, // > 5 GiB cannot be one PutObject
		{1000, 0, 50 * mib, false, 1000, 1},
	}
	for _, tc := range tests {
		m, ps, n := partLayout(tc.size, tc.threshold, tc.chunk)
		if m != tc.multipart || (m && (ps != tc.partSize || n != tc.parts)) {
			t.Errorf("partLayout(%d, %d, %d) = %v, %d, %d; want %v, %d, %d",
				tc.size, tc.threshold, tc.chunk, m, ps, n, tc.multipart, tc.partSize, tc.parts)
		}
		if m && n > maxParts {
			t.Errorf("partLayout(%d, ...) needs %d parts", tc.size, n)
		}
	}
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

func TestHashesMatch(t *testing.T) {
	const hexMD5, b64MD5 = "5d41402abc4b2a76b9719d911017c592", "XUFAKrxLKna5cZ2REBfFkg=="
	tests := []struct {
		local, remote string
		want          bool
	}{
		{hexMD5, hexMD5, true},
		{hexMD5, b64MD5, true},
		{b64MD5, hexMD5, true},
		{b64MD5, b64MD5, true},
		{strings.ToUpper(hexMD5), hexMD5, true},
		{hexMD5, `"` + hexMD5 + `"`, true},
		{hexMD5, "d41d8cd98f00b204e9800998ecf8427e", false},
		{"7b5b2cf501b74fad33a91763af39b0c9-3", "7b5b2cf501b74fad33a91763af39b0c9-3", true},
		{"7b5b2cf501b74fad33a91763af39b0c9-3", "7b5b2cf501b74fad33a91763af39b0c9-4", false},
		{hexMD5, hexMD5 + "-1", false},
		{hexMD5 + "-1", b64MD5, false},
		{"", "", false},
		{hexMD5, "", false},
		{"not a hash", "also not", false},
	}
	for _, tc := range tests {
		if got := HashesMatch(tc.local, tc.remote); got != tc.want {
			t.Errorf("HashesMatch(%q, %q) = %v, want %v", tc.local, tc.remote, got, tc.want)
		}
	}
}

// TestExpectedETagStreams checks that ExpectedETag never reads more than
// its buffer at once (no whole-file reads).
func TestExpectedETagStreams(t *testing.T) {
	src := &maxReadAt{r: bytes.NewReader(randomBytes(11*mib, 9))}
	if _, err := ExpectedETag(src, 5*mib, 5*mib); err != nil {
		t.Fatal(err)
	}
	if src.max > 1<<20 {
		t.Errorf("largest ReadAt %d bytes, want at most 1 MiB", src.max)
	}
}

type maxReadAt struct {
	r   *bytes.Reader
	max int
}

func (m *maxReadAt) ReadAt(p []byte, off int64) (int, error) {
	m.max = max(m.max, len(p))
	return m.r.ReadAt(p, off)
}
func (m *maxReadAt) Size() int64 { return m.r.Size() }
