package commitlog

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/medusa-go/medusa/internal/atomicfile"
)

// PropertiesFile is the name Cassandra looks up on its classpath (its conf
// directory, the directory of cassandra.yaml).
const PropertiesFile = "commitlog_archiving.properties"

// Keys of commitlog_archiving.properties.
const (
	KeyArchiveCommand     = "archive_command"
	KeyRestoreCommand     = "restore_command"
	KeyRestoreDirectories = "restore_directories"
	KeyRestorePIT         = "restore_point_in_time"
	KeyPrecision          = "precision"
)

// PITLayout is the restore_point_in_time format (UTC, microseconds) that
// Cassandra accepts since CASSANDRA-19448: yyyy:MM:dd HH:mm:ss.SSSSSS.
const PITLayout = "2006:01:02 15:04:05.000000"

// FormatPIT renders t (converted to UTC) for restore_point_in_time.
func FormatPIT(t time.Time) string { return t.UTC().Format(PITLayout) }

// ParsePIT parses a restore_point_in_time value (with or without the
// fraction of a second), in UTC.
func ParsePIT(s string) (time.Time, error) {
	for _, l := range []string{PITLayout, "2006:01:02 15:04:05.000", "2006:01:02 15:04:05"} {
		if t, err := time.ParseInLocation(l, strings.TrimSpace(s), time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a restore_point_in_time (yyyy:MM:dd HH:mm:ss[.SSSSSS], UTC)", s)
}

// Properties is a commitlog_archiving.properties file. Set and Delete
// change only the line of their key; comments, blank lines, unknown keys and
// their order are kept as they were.
type Properties struct {
	// Path is the file; Write writes there.
	Path  string
	lines []propLine
}

type propLine struct {
	raw   string // the logical line as read (continuations joined with "\n")
	key   string // "" for comments and blank lines
	value string // unescaped
}

// ReadProperties reads path. A missing file reads as empty (Set then
// creates it on Write).
func ReadProperties(path string) (*Properties, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Properties{Path: path}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return ParseProperties(path, data), nil
}

// ParseProperties parses data in the Java properties format: "#" and "!"
// comments, key and value separated by "=", ":" or white space, a
// backslash at the end of a line continues it.
func ParseProperties(path string, data []byte) *Properties {
	p := &Properties{Path: path}
	phys := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(data) == 0 {
		phys = nil
	}
	for i := 0; i < len(phys); i++ {
		raw := phys[i]
		logical := strings.TrimLeft(raw, " \t\f")
		if logical == "" || logical[0] == '#' || logical[0] == '!' {
			p.lines = append(p.lines, propLine{raw: raw})
			continue
		}
		for continues(logical) && i+1 < len(phys) {
			i++
			raw += "\n" + phys[i]
			logical = logical[:len(logical)-1] + strings.TrimLeft(phys[i], " \t\f")
		}
		k, v := splitProperty(logical)
		p.lines = append(p.lines, propLine{raw: raw, key: k, value: v})
	}
	return p
}

// continues reports whether s ends in an odd number of backslashes.
func continues(s string) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

func splitProperty(s string) (key, value string) {
	i := 0
	for i < len(s) {
		c := s[i]
		if c == '\\' {
			i += 2
			continue
		}
		if c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f' {
			break
		}
		i++
	}
	if i > len(s) {
		i = len(s)
	}
	key, rest := s[:i], s[i:]
	rest = strings.TrimLeft(rest, " \t\f")
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = strings.TrimLeft(rest[1:], " \t\f")
	}
	return unescape(key), unescape(rest)
}

func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func escapeValue(v string) string {
	r := strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", `\r`, "\t", `\t`)
	v = r.Replace(v)
	if strings.HasPrefix(v, " ") {
		v = `\` + v
	}
	return v
}

// Get returns the value of key (the last one when repeated, as Java does).
func (p *Properties) Get(key string) (string, bool) {
	for i := len(p.lines) - 1; i >= 0; i-- {
		if p.lines[i].key == key {
			return p.lines[i].value, true
		}
	}
	return "", false
}

// Set gives key the value: its line is rewritten as key=value (its first
// occurrence; later repeats are removed), or a line is appended.
func (p *Properties) Set(key, value string) {
	l := propLine{raw: key + "=" + escapeValue(value), key: key, value: value}
	out := p.lines[:0]
	done := false
	for _, x := range p.lines {
		if x.key != key {
			out = append(out, x)
		} else if !done {
			out, done = append(out, l), true
		}
	}
	if !done {
		out = append(out, l)
	}
	p.lines = out
}

// Bytes renders the file.
func (p *Properties) Bytes() []byte {
	var b bytes.Buffer
	for _, l := range p.lines {
		b.WriteString(l.raw)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// Write replaces Path atomically: a temporary file in the same directory,
// fsynced, renamed over Path, then the directory fsynced. The mode of an
// existing file is kept (0644 for a new one).
func (p *Properties) Write() error {
	mode := fs.FileMode(0o644)
	if st, err := os.Stat(p.Path); err == nil {
		mode = st.Mode().Perm()
	}
	return atomicfile.WriteFile(p.Path, p.Bytes(), mode)
}
