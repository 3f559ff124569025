package config

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// defaultSection is configparser's DEFAULT section (case-sensitive).
const defaultSection = "DEFAULT"

// iniFile is a medusa.ini read the way Python's
// configparser.ConfigParser(interpolation=None) reads it in strict mode.
type iniFile struct {
	defaults *iniSection   // [DEFAULT]; never nil
	sections []*iniSection // other sections, in file order
	byName   map[string]*iniSection
}

type iniSection struct {
	name  string
	line  int
	keys  []*iniKey
	byKey map[string]*iniKey
}

type iniKey struct {
	name  string // lower-cased
	line  int
	parts []string // value lines; see value
}

// value joins the lines of a (possibly multi-line) value with "\n" and
// trims trailing white space, as configparser does.
func (k *iniKey) value() string {
	return strings.TrimRightFunc(strings.Join(k.parts, "\n"), unicode.IsSpace)
}

func newSection(name string, line int) *iniSection {
	return &iniSection{name: name, line: line, byKey: map[string]*iniKey{}}
}

// lookup returns the value of key in s, or ok=false.
func (s *iniSection) lookup(key string) (string, bool) {
	if k, ok := s.byKey[key]; ok {
		return k.value(), true
	}
	return "", false
}

// parser holds the state of configparser's line loop.
type parser struct {
	f        *iniFile
	probs    []Problem
	cur      *iniSection // nil before the first header
	key      *iniKey     // option being continued, nil after a header
	indent   int         // indentation of the last header or option line
	noHeader bool        // the "outside any section" problem was reported
}

// parseINI parses text. Lines are split on "\n", "\r\n" and "\r"; a UTF-8
// BOM is skipped. Every problem is collected; parsing goes on after one.
func parseINI(text string) (*iniFile, []Problem) {
	text = strings.TrimPrefix(text, "\ufeff")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	p := &parser{f: &iniFile{
		defaults: newSection(defaultSection, 0),
		byName:   map[string]*iniSection{},
	}}
	for i, line := range strings.Split(text, "\n") {
		p.line(i+1, line)
	}
	return p.f, p.probs
}

func (p *parser) problem(line int, section, key, msg string) {
	p.probs = append(p.probs, Problem{Section: section, Key: key, Message: msg, Line: line})
}

func (p *parser) line(n int, line string) {
	if !utf8.ValidString(line) {
		p.problem(n, "", "", "not valid UTF-8")
		line = strings.ToValidUTF8(line, "\uFFFD")
	}
	trimmed := strings.TrimSpace(line)
	comment := strings.HasPrefix(trimmed, "#") || strings.HasPrefix(trimmed, ";")
	if comment || trimmed == "" {
		// An empty line (not a comment) belongs to a value being continued;
		// trailing ones are trimmed when the value is joined.
		if !comment && p.cur != nil && p.key != nil {
			p.key.parts = append(p.key.parts, "")
		}
		return
	}
	indent := len(line) - len(strings.TrimLeftFunc(line, unicode.IsSpace))
	if p.cur != nil && p.key != nil && indent > p.indent {
		p.key.parts = append(p.key.parts, trimmed)
		return
	}
	p.indent = indent
	if name, ok := sectionHeader(trimmed); ok {
		p.header(n, name)
		return
	}
	if p.cur == nil {
		if !p.noHeader {
			p.noHeader = true
			p.problem(n, "", "", "line is outside any section; the file must start with a section header such as [storage]")
		}
		return
	}
	p.option(n, trimmed)
}

// sectionHeader matches configparser's `\[(?P<header>.+)\]` at the start of
// the stripped line: the name runs to the last "]", text after it is ignored.
func sectionHeader(s string) (string, bool) {
	if !strings.HasPrefix(s, "[") {
		return "", false
	}
	end := strings.LastIndex(s, "]")
	if end < 2 {
		return "", false
	}
	return s[1:end], true
}

func (p *parser) header(n int, name string) {
	p.key = nil
	if name == defaultSection {
		p.cur = p.f.defaults
		return
	}
	if first, dup := p.f.byName[name]; dup {
		p.problem(n, name, "", fmt.Sprintf("duplicate section (first defined on line %d)", first.line))
		// Keep parsing its lines for syntax problems, but discard them.
		p.cur = newSection(name, n)
		return
	}
	p.cur = newSection(name, n)
	p.f.byName[name] = p.cur
	p.f.sections = append(p.f.sections, p.cur)
}

// option handles a `key = value` or `key: value` line: the key runs to the
// first "=" or ":", both sides are stripped, keys are lower-cased and
// inline ";" or "#" are part of the value.
func (p *parser) option(n int, s string) {
	i := strings.IndexAny(s, "=:")
	if i < 0 {
		p.problem(n, p.cur.name, "", `not a "key = value" line, a section header or a comment`)
		return
	}
	name := strings.ToLower(strings.TrimSpace(s[:i]))
	if name == "" {
		p.problem(n, p.cur.name, "", `no key name before "`+s[i:i+1]+`"`)
		return
	}
	k := &iniKey{name: name, line: n, parts: []string{strings.TrimSpace(s[i+1:])}}
	p.key = k
	if first, dup := p.cur.byKey[name]; dup {
		p.problem(n, p.cur.name, name, fmt.Sprintf("duplicate key (first set on line %d)", first.line))
		return // k collects its continuation lines, then is dropped
	}
	p.cur.byKey[name] = k
	p.cur.keys = append(p.cur.keys, k)
}
