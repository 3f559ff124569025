package checksum

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/storage"
)

// fixedExpecter is a backend's ExpectedHash that answers hash.
type fixedExpecter string

func (e fixedExpecter) ExpectedHash(context.Context, storage.Source) (string, error) {
	return string(e), nil
}

// TestVerify: content is compared with the recorded hash whatever the
// store says now; a re-upload with another part size still matches.
func TestVerify(t *testing.T) {
	t.Parallel()
	data := randomBytes(12*mib+7, 3)
	other := bytes.Clone(data)
	other[len(other)-1] ^= 1
	sum := md5.Sum(data)
	hexMD5, b64MD5 := hex.EncodeToString(sum[:]), base64.StdEncoding.EncodeToString(sum[:])
	five, eight := partsETag(data, 5*mib), partsETag(data, 8*mib) // 3 and 2 parts
	seven := partsETag(data, 7*mib)                               // 2 parts, unusual size
	for _, tc := range []struct {
		name    string
		content []byte
		want    string
		expect  Expecter
		stream  Verdict // Checker
		source  Verdict // VerifySource
	}{
		{"hex MD5", data, hexMD5, nil, Matches, Matches},
		{"base64 MD5 (GCS, Azure)", data, b64MD5, nil, Matches, Matches},
		{"upper-case quoted MD5", data, `"` + strings.ToUpper(hexMD5) + `"`, nil, Matches, Matches},
		{"MD5, other bytes", other, hexMD5, nil, Differs, Differs},
		{"5 MiB parts", data, five, nil, Matches, Matches},
		{"8 MiB parts, backend now at 5 MiB", data, eight, fixedExpecter(five), Matches, Matches},
		{"backend's own layout", data, seven, fixedExpecter(seven), Unknown, Matches},
		{"unusual part size", data, seven, nil, Unknown, Unknown},
		{"unusual part size, backend at 5 MiB", data, seven, fixedExpecter(five), Unknown, Unknown},
		{"multipart, other bytes, same layout as the backend", other, eight, fixedExpecter(partsETag(other, 8*mib)), Unknown, Differs},
		{"multipart, other bytes, usual size", other, five, nil, Unknown, Unknown},
		{"SSE-KMS ETag", data, kmsETag, nil, Differs, Differs},
		{"Azure ETag", data, azureETag, nil, Unknown, Unknown},
		{"empty", data, "", nil, Unknown, Unknown},
	} {
		c := NewChecker(tc.want, int64(len(tc.content)))
		for p := tc.content; len(p) > 0; p = p[min(len(p), 1<<20+3):] {
			c.Write(p[:min(len(p), 1<<20+3)])
		}
		if got := c.Verdict(); got != tc.stream {
			t.Errorf("%s: Checker.Verdict = %v, want %v", tc.name, got, tc.stream)
		}
		got, err := VerifySource(t.Context(), bytes.NewReader(tc.content), tc.want, tc.expect)
		if err != nil || got != tc.source {
			t.Errorf("%s: VerifySource = %v, %v; want %v", tc.name, got, err, tc.source)
		}
	}
}

func TestHasherFor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		want string
		size int64
		part int64
	}{
		{helloHex, 12 * mib, 0},
		{helloB64, 12 * mib, 0},
		{azureETag, 12 * mib, 0},
		{"", 12 * mib, 0},
		{helloHex + "-3", 12 * mib, 5 * mib},
		{helloHex + "-2", 12 * mib, 8 * mib},
		{helloHex + "-2", 100 * mib, 50 * mib},
		{helloHex + "-5", 12 * mib, 0}, // no usual part size gives 5 parts
	} {
		if got := HasherFor(tc.want, tc.size).PartSize(); got != tc.part {
			t.Errorf("HasherFor(%q, %d) hashes parts of %d, want %d", tc.want, tc.size, got, tc.part)
		}
	}
}
