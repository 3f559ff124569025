package layout

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf8"
)

// This file reproduces the output of Python's json.dumps with its default
// separators (", " and ": ") and no indentation, which is how Medusa writes
// every JSON document in the bucket and on stdout.
//
// String escaping differs with ensure_ascii:
//   - ensureASCII=true (json.dumps default; manifest.json, tokenmap.json,
//     server_version.json): '"' and '\\' are escaped, \b \f \n \r \t use
//     their short forms, every other rune outside ' '..'~' (controls, DEL,
//     non-ASCII) becomes \uXXXX with lower-case hex, runes above U+FFFF as a
//     UTF-16 surrogate pair.
//   - ensureASCII=false (list-backups/status --output json): only '"', '\\'
//     and runes below U+0020 are escaped; everything else is written as
//     UTF-8.
//
// '/', '<', '>', '&', U+2028 and U+2029 are never escaped (Go's
// encoding/json would escape some of them). Invalid UTF-8 is written as
// U+FFFD, since a Python str cannot hold it.

const hexDigits = "0123456789abcdef"

func appendUnicodeEscape(b []byte, r rune) []byte {
	return append(b, '\\', 'u',
		hexDigits[(r>>12)&0xf], hexDigits[(r>>8)&0xf], hexDigits[(r>>4)&0xf], hexDigits[r&0xf])
}

// PyJSONString renders s as Python's json.dumps does by default
// (ensure_ascii): the one encoder of Python-compatible JSON strings, for
// every document medusa writes that Medusa also writes.
func PyJSONString(s string) string { return string(appendPyString(nil, s, true)) }

// appendPyString appends s as a JSON string literal the way Python's
// json.dumps writes it.
func appendPyString(b []byte, s string, ensureASCII bool) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch r {
		case '"':
			b = append(b, '\\', '"')
			continue
		case '\\':
			b = append(b, '\\', '\\')
			continue
		case '\b':
			b = append(b, '\\', 'b')
			continue
		case '\f':
			b = append(b, '\\', 'f')
			continue
		case '\n':
			b = append(b, '\\', 'n')
			continue
		case '\r':
			b = append(b, '\\', 'r')
			continue
		case '\t':
			b = append(b, '\\', 't')
			continue
		}
		switch {
		case r < 0x20:
			b = appendUnicodeEscape(b, r)
		case r < 0x7f:
			b = append(b, byte(r))
		case !ensureASCII:
			b = utf8.AppendRune(b, r) // RuneError for invalid bytes: U+FFFD
		case r > 0xffff:
			r -= 0x10000
			b = appendUnicodeEscape(b, 0xd800+(r>>10))
			b = appendUnicodeEscape(b, 0xdc00+(r&0x3ff))
		default:
			b = appendUnicodeEscape(b, r)
		}
	}
	return append(b, '"')
}

// appendPyOptString appends s, or null when s is nil.
func appendPyOptString(b []byte, s *string, ensureASCII bool) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendPyString(b, *s, ensureASCII)
}

// appendPyBool appends a JSON boolean, or null when v is nil.
func appendPyBool(b []byte, v *bool) []byte {
	switch {
	case v == nil:
		return append(b, "null"...)
	case *v:
		return append(b, "true"...)
	default:
		return append(b, "false"...)
	}
}

// appendPyKey appends `"key": ` (with the separator before it unless first).
func appendPyKey(b []byte, key string, first, ensureASCII bool) []byte {
	if !first {
		b = append(b, ", "...)
	}
	b = appendPyString(b, key, ensureASCII)
	return append(b, ": "...)
}

// isJSONInteger reports whether s is a JSON integer literal as Python writes
// ints: an optional '-', then '0' or a digit string without leading zeros.
func isJSONInteger(s string) bool {
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// newDecoder returns a decoder over data that keeps numbers as json.Number.
func newDecoder(data []byte) *json.Decoder {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec
}

// expectDelim reads the next token and checks it is the delimiter want.
func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("expected %q, found %v", want, tok)
	}
	return nil
}

// expectEOF checks nothing but whitespace follows the document.
func expectEOF(dec *json.Decoder) error {
	_, err := dec.Token()
	switch {
	case err == io.EOF:
		return nil
	case err != nil:
		return err
	default:
		return fmt.Errorf("unexpected data after the JSON document")
	}
}
