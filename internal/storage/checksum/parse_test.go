package checksum

import (
	"strings"
	"testing"
)

// Independently known digests: MD5("hello") in hex and base64, MD5("").
const (
	helloHex   = "5d41402abc4b2a76b9719d911017c592"
	helloB64   = "XUFAKrxLKna5cZ2REBfFkg=="
	emptyHex   = "d41d8cd98f00b204e9800998ecf8427e"
	emptyB64   = "1B2M2Y8AsgTpgAmY7PhCfg=="
	threeParts = "7b5b2cf501b74fad33a91763af39b0c9-3"
	// A hex-looking SSE-KMS ETag: no MD5 of the content.
	kmsETag   = "9b2cf535f27731c974343645a3985328"
	azureETag = "0x8DC1234567890AB"
)

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in    string
		kind  Kind
		parts int
		canon string
	}{
		{"", Empty, 0, ""},
		{`  ""  `, Empty, 0, ""},
		{helloHex, Plain, 0, helloHex},
		{strings.ToUpper(helloHex), Plain, 0, helloHex},
		{`"` + helloHex + `"`, Plain, 0, helloHex},
		{" \t" + helloHex + "\n", Plain, 0, helloHex},
		{helloB64, Plain, 0, helloHex},         // GCS md5Hash, Azure Content-MD5
		{threeParts, Multipart, 3, threeParts}, // S3, MinIO, Ceph RGW, versitygw
		{`"` + strings.ToUpper(threeParts) + `"`, Multipart, 3, threeParts},
		{helloHex + "-10000", Multipart, 10000, helloHex + "-10000"},
		{helloHex + "-10001", Opaque, 0, helloHex + "-10001"}, // more parts than S3 allows
		{helloHex + "-0", Opaque, 0, helloHex + "-0"},
		{helloHex + "-01", Opaque, 0, helloHex + "-01"},
		{helloHex + "-", Opaque, 0, helloHex + "-"},
		{"zz" + helloHex[2:] + "-3", Opaque, 0, "zz" + helloHex[2:] + "-3"},
		{azureETag, Opaque, 0, azureETag}, // Azure blob without Content-MD5
		{`"` + azureETag + `"`, Opaque, 0, azureETag},
		{"zz" + helloHex[2:], Opaque, 0, "zz" + helloHex[2:]}, // 32 characters, not hex
		{helloHex[:30], Opaque, 0, helloHex[:30]},
		{"aGVsbG8=", Opaque, 0, "aGVsbG8="}, // base64, but not 16 bytes
		{kmsETag, Plain, 0, kmsETag},        // cannot be told from an MD5
	} {
		s := Parse(tc.in)
		if s.Kind != tc.kind || s.Parts != tc.parts || s.String() != tc.canon {
			t.Errorf("Parse(%q) = kind %d, %d parts, %q; want kind %d, %d parts, %q",
				tc.in, s.Kind, s.Parts, s.String(), tc.kind, tc.parts, tc.canon)
		}
		if s.IsContent() != (tc.kind == Plain || tc.kind == Multipart) {
			t.Errorf("Parse(%q).IsContent() = %v", tc.in, s.IsContent())
		}
	}
}

// TestEqual pins every comparison the backup, restore and verify make: a
// local hash (always hex MD5 or multipart ETag) against what each store
// reports, and two reported hashes against each other.
func TestEqual(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		a, b string
		want bool
	}{
		{"same hex", helloHex, helloHex, true},
		{"upper-case hex", strings.ToUpper(helloHex), helloHex, true},
		{"quoted ETag", helloHex, `"` + helloHex + `"`, true},
		{"white space", " " + helloHex, helloHex + "\n", true},
		{"hex vs base64 (S3 vs GCS/Azure)", helloHex, helloB64, true},
		{"base64 vs hex", helloB64, helloHex, true},
		{"base64 vs upper-case hex", helloB64, strings.ToUpper(helloHex), true},
		{"empty content, hex vs base64", emptyHex, emptyB64, true},
		{"different digests", helloHex, emptyHex, false},
		{"different digests, base64", helloB64, emptyB64, false},
		{"both empty", "", "", false},
		{"one empty", helloHex, "", false},
		{"empty vs quotes", "", `""`, false},
		{"multipart equal", threeParts, threeParts, true},
		{"multipart upper-case, quoted", threeParts, `"` + strings.ToUpper(threeParts) + `"`, true},
		{"multipart, other part count", threeParts, strings.TrimSuffix(threeParts, "3") + "4", false},
		{"multipart vs plain of its digest", threeParts, strings.TrimSuffix(threeParts, "-3"), false},
		{"plain vs one-part multipart", helloHex, helloHex + "-1", false},
		{"multipart vs base64", helloHex + "-1", helloB64, false},
		{"SSE-KMS ETag vs content MD5", helloHex, kmsETag, false},
		{"SSE-KMS ETag vs itself", kmsETag, kmsETag, true},
		{"Azure ETag vs itself", azureETag, `"` + azureETag + `"`, true},
		{"Azure ETag, other case", azureETag, strings.ToLower(azureETag), false},
		{"Azure ETag vs content MD5", azureETag, helloB64, false},
		{"two Azure ETags", azureETag, "0x8DC1234567890AC", false},
		{"non-hex text", "not a hash", "also not", false},
		{"non-hex text vs itself", "not a hash", "not a hash", true},
		{"32 non-hex characters vs hex", "zz" + helloHex[2:], helloHex, false},
	} {
		if got := Equal(tc.a, tc.b); got != tc.want {
			t.Errorf("%s: Equal(%q, %q) = %v, want %v", tc.name, tc.a, tc.b, got, tc.want)
		}
		if got := Equal(tc.b, tc.a); got != tc.want {
			t.Errorf("%s: Equal(%q, %q) = %v, want %v (not symmetric)", tc.name, tc.b, tc.a, got, tc.want)
		}
	}
}
