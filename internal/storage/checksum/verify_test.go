package checksum

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/storage/storagetest"
)

// TestVerify: content is compared with the recorded hash whatever the
// store says now; a re-upload with another part size still matches.
func TestVerify(t *testing.T) {
	t.Parallel()
	data := randomBytes(12*mib+7, 3)
	other := bytes.Clone(data)
	other[len(other)-1] ^= 1
	sum := md5.Sum(data)
	hexMD5, b64MD5 := hex.EncodeToString(sum[:]), base64.StdEncoding.EncodeToString(sum[:])
	five, eight := storagetest.ReferenceETag(data, 5*mib), storagetest.ReferenceETag(data, 8*mib) // 3 and 2 parts
	seven := storagetest.ReferenceETag(data, 7*mib)                                               // 2 parts, unusual size
	for _, tc := range []struct {
		name    string
		content []byte
		want    string
		own     int64 // the backend's part size
		verdict Verdict
	}{
		{"hex MD5", data, hexMD5, 0, Matches},
		{"base64 MD5 (GCS, Azure)", data, b64MD5, 0, Matches},
		{"upper-case quoted MD5", data, `"` + strings.ToUpper(hexMD5) + `"`, 0, Matches},
		{"MD5, other bytes", other, hexMD5, 0, Differs},
		{"MD5, backend uploads in parts", data, hexMD5, 5 * mib, Matches},
		{"5 MiB parts", data, five, 0, Matches},
		{"8 MiB parts, backend now at 5 MiB", data, eight, 5 * mib, Matches},
		{"5 MiB parts, backend now at 8 MiB", data, five, 8 * mib, Matches},
		{"backend's own unusual part size", data, seven, 7 * mib, Matches},
		{"unusual part size", data, seven, 0, Unknown},
		{"unusual part size, backend at 5 MiB", data, seven, 5 * mib, Unknown},
		{"other bytes, the backend's layout", other, eight, 8 * mib, Differs},
		{"other bytes, the backend's unusual layout", other, seven, 7 * mib, Differs},
		{"other bytes, usual size, backend's layout unknown", other, five, 0, Unknown},
		{"other bytes, backend's layout has another part count", other, five, 8 * mib, Unknown},
		{"SSE-KMS ETag", data, kmsETag, 0, Differs},
		{"Azure ETag", data, azureETag, 0, Unknown},
		{"empty", data, "", 0, Unknown},
	} {
		c := NewChecker(tc.want, int64(len(tc.content)), tc.own)
		for p := tc.content; len(p) > 0; p = p[min(len(p), 1<<20+3):] {
			c.Write(p[:min(len(p), 1<<20+3)])
		}
		if got := c.Verdict(); got != tc.verdict {
			t.Errorf("%s: Checker.Verdict = %v, want %v", tc.name, got, tc.verdict)
		}
		got, err := VerifySource(t.Context(), bytes.NewReader(tc.content), tc.want, tc.own)
		if err != nil || got != tc.verdict {
			t.Errorf("%s: VerifySource = %v, %v; want %v", tc.name, got, err, tc.verdict)
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
		if got := HasherFor(tc.want, tc.size, 0).PartSize(); got != tc.part {
			t.Errorf("HasherFor(%q, %d) hashes parts of %d, want %d", tc.want, tc.size, got, tc.part)
		}
	}
	// The backend's part size first, when it gives the number of parts.
	if got := HasherFor(helloHex+"-2", 12*mib, 7*mib).PartSize(); got != 7*mib {
		t.Errorf("HasherFor with the backend at 7 MiB hashes parts of %d", got)
	}
	if got := HasherFor(helloHex+"-3", 12*mib, 7*mib).PartSize(); got != 5*mib {
		t.Errorf("HasherFor with the backend at 7 MiB, 3 parts, hashes parts of %d", got)
	}
}
