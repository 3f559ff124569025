package commitlog

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestParseSegmentName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want SegmentName
		ok   bool
	}{
		{"CommitLog-7-1733449000123.log", SegmentName{7, 1733449000123}, true},
		{"CommitLog-8-1.log", SegmentName{8, 1}, true},
		{"CommitLog-7-12.log.zst", SegmentName{}, false},
		{"CommitLog--12.log", SegmentName{}, false},
		{"CommitLog-7-.log", SegmentName{}, false},
		{"CommitLog-7-1-2.log", SegmentName{}, false},
		{"commitlog-7-1.log", SegmentName{}, false},
		{"CommitLog-7-99999999999999999999.log", SegmentName{}, false},
	} {
		got, err := ParseSegmentName(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseSegmentName(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if tc.ok && got.String() != tc.in {
			t.Errorf("String() = %q, want %q", got.String(), tc.in)
		}
	}
}

func TestReadHeaderRoundTrip(t *testing.T) {
	t.Parallel()
	for _, h := range []Header{
		{Version: 7, ID: 1765000000123},
		{Version: 8, ID: 1<<40 + 5, Params: map[string]any{"compressionClass": "LZ4Compressor", "compressionParameters": map[string]any{}}},
		{Version: 7, ID: 42, Params: map[string]any{"encCipher": "AES/CBC/PKCS5Padding", "encKeyAlias": "k", "encIV": "AAAA"}},
	} {
		data, err := EncodeHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		r := bytes.NewReader(append(data, 0xde, 0xad))
		got, err := ReadHeader(r)
		if err != nil {
			t.Fatalf("ReadHeader(%v): %v", h, err)
		}
		if got.Version != h.Version || got.ID != h.ID || got.Compressed != (h.Params["compressionClass"] != nil) ||
			got.Encrypted != (h.Params["encCipher"] != nil) {
			t.Errorf("ReadHeader = %+v, want %+v", got, h)
		}
		if r.Len() != 2 {
			t.Errorf("ReadHeader read %d bytes past the header", 2-r.Len())
		}
	}
}

func TestReadHeaderRejects(t *testing.T) {
	t.Parallel()
	good, _ := EncodeHeader(Header{Version: 7, ID: 1765000000123})
	for name, data := range map[string][]byte{
		"crc":       append(append([]byte{}, good[:len(good)-1]...), good[len(good)-1]^1),
		"id":        append([]byte{0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 9}, good[12:]...),
		"short":     good[:10],
		"empty":     nil,
		"truncated": good[:len(good)-2],
	} {
		if _, err := ReadHeader(bytes.NewReader(data)); !errors.Is(err, ErrBadHeader) {
			t.Errorf("%s: err = %v, want ErrBadHeader", name, err)
		}
	}
}

// TestReadHeaderGolden reads the first 20 bytes (the header) of a segment written by
// Cassandra 5.0.9 (uncompressed, unencrypted: parameters "{}").
func TestReadHeaderGolden(t *testing.T) {
	t.Parallel()
	const name = "CommitLog-7-1796522457152.log"
	data, err := os.ReadFile(filepath.Join("testdata", name+".header"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := ReadHeader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if h.Name().String() != name || h.Compressed || h.Encrypted || len(h.Params) != 0 {
		t.Errorf("header = %+v, want %s, plain", h, name)
	}
	enc, err := EncodeHeader(Header{Version: 7, ID: 1796522457152})
	if err != nil || !bytes.Equal(enc, data) {
		t.Errorf("EncodeHeader = %x, %v; want Cassandra's %x", enc, err, data)
	}
}
