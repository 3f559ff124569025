package compat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
)

// jnode is a parsed JSON value that keeps the order of object keys.
type jnode struct {
	kind   byte // '{', '[', 's' string, 'n' number, 'b' bool, '0' null
	keys   []string
	vals   []*jnode
	scalar string // string value, number text or "true"/"false"
}

// parseJSON parses one JSON document, keeping key order and number text.
func parseJSON(raw []byte) (*jnode, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	n, err := parseValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("data after the JSON value (%v)", err)
	}
	return n, nil
}

func parseValue(dec *json.Decoder) (*jnode, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch v := tok.(type) {
	case json.Delim:
		n := &jnode{kind: byte(v)}
		for dec.More() {
			if v == '{' {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, k.(string))
			}
			child, err := parseValue(dec)
			if err != nil {
				return nil, err
			}
			n.vals = append(n.vals, child)
		}
		_, err := dec.Token() // closing delimiter
		return n, err
	case string:
		return &jnode{kind: 's', scalar: v}, nil
	case json.Number:
		return &jnode{kind: 'n', scalar: v.String()}, nil
	case bool:
		return &jnode{kind: 'b', scalar: strconv.FormatBool(v)}, nil
	case nil:
		return &jnode{kind: '0'}, nil
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}

// py renders n as Python's json.dumps(obj) does with its defaults:
// separators ", " and ": ", no indentation, ensure_ascii.
func (n *jnode) py(b *strings.Builder) {
	switch n.kind {
	case '{', '[':
		b.WriteByte(n.kind)
		for i, v := range n.vals {
			if i > 0 {
				b.WriteString(", ")
			}
			if n.kind == '{' {
				pyString(b, n.keys[i])
				b.WriteString(": ")
			}
			v.py(b)
		}
		b.WriteByte(map[byte]byte{'{': '}', '[': ']'}[n.kind])
	case 's':
		pyString(b, n.scalar)
	case '0':
		b.WriteString("null")
	default:
		b.WriteString(n.scalar)
	}
}

// pyString writes s as json.dumps does with ensure_ascii=True.
func pyString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || (r > 0x7e && r <= 0xffff):
			fmt.Fprintf(b, `\u%04x`, r)
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(b, `\u%04x\u%04x`, r1, r2)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// shape describes n without its values, as the sorted set of lines
// "<path>: <type>" for every value and "<path>: {<keys in order>}" for
// every object, where a path is made of .key for object members (an object
// keyed by data, such as a tokenmap, shows each key) and [] for array
// elements. Integers and other numbers are told apart.
func (n *jnode) shape() []string {
	set := map[string]bool{}
	n.addShape("$", set)
	return slices.Sorted(maps.Keys(set))
}

func (n *jnode) addShape(path string, set map[string]bool) {
	switch n.kind {
	case '{':
		quoted := make([]string, len(n.keys))
		for i, k := range n.keys {
			quoted[i] = strconv.Quote(k)
			n.vals[i].addShape(path+"."+strconv.Quote(k), set)
		}
		set[path+": {"+strings.Join(quoted, ", ")+"}"] = true
	case '[':
		set[path+": array"] = true
		for _, v := range n.vals {
			v.addShape(path+"[]", set)
		}
	case 's':
		set[path+": string"] = true
	case 'n':
		if _, err := strconv.ParseInt(n.scalar, 10, 64); err == nil {
			set[path+": int"] = true
		} else {
			set[path+": number"] = true
		}
	case 'b':
		set[path+": bool"] = true
	default:
		set[path+": null"] = true
	}
}

// checkPyJSON fails unless raw is a JSON document exactly as Python's
// json.dumps writes it, and returns it parsed.
func checkPyJSON(t *testing.T, what string, raw []byte) *jnode {
	t.Helper()
	n, err := parseJSON(raw)
	if err != nil {
		t.Errorf("%s is not JSON: %v\n%s", what, err, raw)
		return nil
	}
	var b strings.Builder
	n.py(&b)
	if got := b.String(); got != string(raw) {
		t.Errorf("%s is not formatted like Python's json.dumps (separators, escapes, no newline):\n"+
			"got:  %.300q\nwant: %.300q", what, raw, got)
	}
	return n
}

func TestPyJSONCheck(t *testing.T) {
	tests := []struct {
		raw   string
		shape []string
		ok    bool
	}{
		{`{"a": [1, 2], "b": {"c": null, "d": "x\u00e9/"}}`, []string{`$: {"a", "b"}`, `$."a": array`,
			`$."a"[]: int`, `$."b": {"c", "d"}`, `$."b"."c": null`, `$."b"."d": string`}, true},
		{`{"a":[1,2]}`, []string{`$: {"a"}`, `$."a": array`, `$."a"[]: int`}, false},
		{`{"a": []}` + "\n", []string{`$: {"a"}`, `$."a": array`}, false},
		{`["é"]`, []string{`$: array`, `$[]: string`}, false},
		{`[{"path": "k", "MD5": null, "size": 3}, {"path": "k", "MD5": "ab", "size": 3}]`, []string{
			`$: array`, `$[]: {"path", "MD5", "size"}`, `$[]."MD5": null`, `$[]."MD5": string`,
			`$[]."path": string`, `$[]."size": int`}, true},
		{`{"t": [-9223372036854775808, 170141183460469231731687303715884105727], "up": true}`, []string{
			`$: {"t", "up"}`, `$."t": array`, `$."t"[]: int`, `$."t"[]: number`, `$."up": bool`}, true},
	}
	for _, tc := range tests {
		n, err := parseJSON([]byte(tc.raw))
		if err != nil {
			t.Fatalf("%s: %v", tc.raw, err)
		}
		var b strings.Builder
		n.py(&b)
		if ok := b.String() == tc.raw; ok != tc.ok {
			t.Errorf("%s: Python-formatted = %v, want %v (re-rendered %s)", tc.raw, ok, tc.ok, b.String())
		}
		if got := n.shape(); !slices.Equal(got, slices.Sorted(slices.Values(tc.shape))) {
			t.Errorf("%s: shape %s, want %s", tc.raw, got, tc.shape)
		}
	}
}
