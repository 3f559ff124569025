package restore

import (
	"bytes"
	"crypto/md5"
	"math/rand/v2"
	"testing"

	"github.com/medusa-go/medusa/internal/layout"
)

// TestStreamHasherMatchesFileHashes: hashing during the download, in any
// write sizes, gives what hashing the finished file gives (hash.go).
func TestStreamHasherMatchesFileHashes(t *testing.T) {
	t.Parallel()
	const mib = 1 << 20
	tests := []struct {
		name     string
		size     int64
		etagPart int64 // part size the "store" used; 0: single-part MD5
		chunk    int   // write size
	}{
		{"single part, plain MD5", 3*mib + 5, 0, 1 << 16},
		{"multipart 50 MiB, uneven tail", 120*mib + 7, 50 * mib, 1 << 20},
		{"multipart, writes straddling parts", 101 * mib, 50 * mib, 3*mib + 1},
		{"multipart exact multiple", 100 * mib, 50 * mib, 1 << 20},
		{"multipart 8 MiB (boto3 default)", 20*mib + 1, 8 * mib, 777_777},
		{"one part", 30 * mib, 50 * mib, 1 << 20},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := make([]byte, tc.size)
			for i := range data {
				data[i] = byte(r.Uint32())
			}
			want := ""
			if tc.etagPart > 0 {
				var err error
				want, err = multipartETag(t.Context(), bytes.NewReader(data), tc.etagPart)
				if err != nil {
					t.Fatal(err)
				}
			} else {
				sum := md5.Sum(data)
				want = string(sum[:])
			}
			wantCopy := want
			h := newStreamHasher(layout.Object{Size: tc.size, MD5: &wantCopy})
			for p := data; len(p) > 0; {
				n := min(len(p), tc.chunk)
				h.Write(p[:n])
				p = p[n:]
			}
			if tc.etagPart > 0 {
				if got := h.multipartETag(); got != want || h.contentMD5() != nil {
					t.Errorf("multipart ETag %q (MD5 %x), want %q", got, h.contentMD5(), want)
				}
				return
			}
			if got := h.contentMD5(); string(got) != want || h.multipartETag() != "" {
				t.Errorf("MD5 %x (ETag %q), want %x", got, h.multipartETag(), want)
			}
		})
	}
}
