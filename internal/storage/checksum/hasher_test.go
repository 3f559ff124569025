package checksum

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/medusa-go/medusa/internal/storage/storagetest"
)

const mib = 1 << 20

// medusaVector is bytes 0..255 repeated over 11 MiB, then "tail"; its
// ETags were computed independently (Python hashlib, Medusa's algorithm).
func medusaVector() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return append(bytes.Repeat(b, 11*mib/256), "tail"...)
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed+1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestExpectedETagVectors(t *testing.T) {
	t.Parallel()
	vec := medusaVector()
	for _, tc := range []struct {
		name             string
		data             []byte
		threshold, chunk int64
		want             string
	}{
		{"empty", nil, 20 * mib, 50 * mib, emptyHex},
		{"hello", []byte("hello"), 20 * mib, 50 * mib, helloHex},
		{"below threshold", vec, 20 * mib, 5 * mib, "4741ea684fa9d3898949d30ef29142fe"},
		{"no threshold", vec, 0, 5 * mib, "4741ea684fa9d3898949d30ef29142fe"},
		{"three parts", vec, 5 * mib, 5 * mib, threeParts},
		{"chunk below 5 MiB is raised to 5 MiB", vec, 5 * mib, 1 * mib, threeParts},
	} {
		got, err := ExpectedETag(t.Context(), bytes.NewReader(tc.data), tc.threshold, tc.chunk)
		if err != nil || got != tc.want {
			t.Errorf("%s: ExpectedETag = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

// TestHashersAgree: the streaming Hasher in any write size, MultipartETag
// and ExpectedETag give what crypto/md5 gives by hand.
func TestHashersAgree(t *testing.T) {
	t.Parallel()
	data := randomBytes(12*mib+12345, 42)
	for _, tc := range []struct {
		name  string
		size  int
		part  int // 0: plain MD5
		write int
	}{
		{"plain, small writes", 3*mib + 5, 0, 1 << 16},
		{"three parts, uneven tail", len(data), 5 * mib, 1 << 20},
		{"writes straddling parts", len(data), 5 * mib, 3*mib + 1},
		{"exact multiple", 10 * mib, 5 * mib, 1 << 20},
		{"8 MiB parts (boto3 default)", len(data), 8 * mib, 777_777},
		{"one part", 6 * mib, 8 * mib, 1 << 20},
		{"empty content, multipart", 0, 5 * mib, 1},
	} {
		d := data[:tc.size]
		sum := md5.Sum(d)
		want := hex.EncodeToString(sum[:])
		if tc.part > 0 {
			want = storagetest.ReferenceETag(d, tc.part)
		}
		h := NewHasher(int64(tc.part))
		for p := d; len(p) > 0; p = p[min(len(p), tc.write):] {
			h.Write(p[:min(len(p), tc.write)])
		}
		if got := h.Sum(); got != want {
			t.Errorf("%s: Hasher = %q, want %q", tc.name, got, want)
		}
		if tc.part == 0 {
			if got, err := MD5Hex(t.Context(), bytes.NewReader(d)); err != nil || got != want {
				t.Errorf("%s: MD5Hex = %q, %v; want %q", tc.name, got, err, want)
			}
			continue
		}
		if h.Digest() != nil {
			t.Errorf("%s: Digest of a multipart Hasher is not nil", tc.name)
		}
		if got, err := MultipartETag(t.Context(), bytes.NewReader(d), int64(tc.part)); err != nil || got != want {
			t.Errorf("%s: MultipartETag = %q, %v; want %q", tc.name, got, err, want)
		}
		if tc.size > 0 {
			if got, err := ExpectedETag(t.Context(), bytes.NewReader(d), 1, int64(tc.part)); err != nil || got != want {
				t.Errorf("%s: ExpectedETag = %q, %v; want %q", tc.name, got, err, want)
			}
		}
	}
}

func TestMD5(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, readSize - 1, readSize, 3*readSize + 7} {
		data := bytes.Repeat([]byte("medusa-"), n/7+1)[:n]
		got, err := MD5(t.Context(), bytes.NewReader(data))
		want := md5.Sum(data)
		if err != nil || !bytes.Equal(got, want[:]) {
			t.Errorf("MD5(%d bytes) = %x, %v; want %x", n, got, err, want)
		}
	}
	got, err := MD5(t.Context(), bytes.NewReader([]byte("hello")))
	if err != nil || base64.StdEncoding.EncodeToString(got) != helloB64 {
		t.Errorf("MD5(hello) = %x, %v", got, err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := MD5Hex(ctx, bytes.NewReader(make([]byte, 100))); !errors.Is(err, context.Canceled) {
		t.Errorf("MD5Hex with a cancelled context: %v", err)
	}
	if _, err := MultipartETag(t.Context(), bytes.NewReader(nil), 0); err == nil {
		t.Error("MultipartETag with part size 0: no error")
	}
	if _, err := MD5(t.Context(), shortSource{bytes.NewReader([]byte("abc"))}); err == nil {
		t.Error("MD5 of a source shorter than its Size: no error")
	}
}

// shortSource claims one byte more than it has.
type shortSource struct{ r *bytes.Reader }

func (s shortSource) ReadAt(p []byte, off int64) (int, error) { return s.r.ReadAt(p, off) }
func (s shortSource) Size() int64                             { return s.r.Size() + 1 }

// TestSourceReadsStream: hashing a source never reads more than 1 MiB at
// once (no whole-file reads).
func TestSourceReadsStream(t *testing.T) {
	t.Parallel()
	src := &maxReadAt{r: bytes.NewReader(randomBytes(11*mib, 9))}
	if _, err := ExpectedETag(t.Context(), src, 5*mib, 5*mib); err != nil {
		t.Fatal(err)
	}
	if src.max > readSize {
		t.Errorf("largest ReadAt %d bytes, want at most %d", src.max, readSize)
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
