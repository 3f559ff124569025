package crypt

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"strings"

	"github.com/medusa-go/medusa/internal/storage"
)

// KeySize is the size of a master key: AES-256.
const KeySize = 32

// maxKeyID is the longest key id the header holds.
const maxKeyID = 32

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,32}$`)

// Ring is a set of master keys by id; Current encrypts new objects, every
// key decrypts the objects it encrypted (key rotation).
type Ring struct {
	// File names the key ring file in messages (never its content).
	File    string
	Current string
	keys    map[string][]byte
}

// NewRing returns a ring of keys (id -> 32-byte key) whose current key is
// current; file names it in messages.
func NewRing(file, current string, keys map[string][]byte) (*Ring, error) {
	r := &Ring{File: file, Current: current, keys: map[string][]byte{}}
	for id, k := range keys {
		if !keyIDPattern.MatchString(id) {
			return nil, fmt.Errorf("encryption key file %s: key id %q: use 1 to 32 letters, digits, '.', '_' or '-'", file, id)
		}
		if len(k) != KeySize {
			return nil, fmt.Errorf("encryption key file %s: key %q is %d bytes, want %d (base64 of 32 random bytes: openssl rand -base64 32)", file, id, len(k), KeySize)
		}
		r.keys[id] = bytes.Clone(k)
	}
	if _, ok := r.keys[current]; !ok {
		return nil, fmt.Errorf("encryption key file %s: current key %q is not in the file", file, current)
	}
	return r, nil
}

// ParseRing reads a key ring file: one key a line, "<id> = <base64 of 32
// bytes>"; blank lines and lines starting with '#' are ignored. The first
// key is current unless a line "current = <id>" names another.
func ParseRing(file string, data []byte) (*Ring, error) {
	keys := map[string][]byte{}
	current, first := "", ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, val, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("encryption key file %s line %d: want \"<key id> = <base64 key>\"", file, n)
		}
		id, val = strings.TrimSpace(id), strings.TrimSpace(val)
		if id == "current" {
			current = val
			continue
		}
		if !keyIDPattern.MatchString(id) {
			// Not echoed: a malformed line may hold the key.
			return nil, fmt.Errorf("encryption key file %s line %d: the key id before '=' must be 1 to 32 letters, digits, '.', '_' or '-'", file, n)
		}
		k, err := base64.StdEncoding.DecodeString(val)
		if err != nil {
			// The value is a secret: the message names the line, not it.
			return nil, fmt.Errorf("encryption key file %s line %d: key %q is not valid base64", file, n, id)
		}
		if _, dup := keys[id]; dup {
			return nil, fmt.Errorf("encryption key file %s line %d: key id %q appears twice", file, n, id)
		}
		keys[id] = k
		if first == "" {
			first = id
		}
	}
	if first == "" {
		return nil, fmt.Errorf("encryption key file %s holds no key: add a line \"<key id> = <base64 of 32 random bytes>\" (openssl rand -base64 32)", file)
	}
	if current == "" {
		current = first
	}
	return NewRing(file, current, keys)
}

// LoadRing checks the file's mode (storage.CheckKeyFile: refused when
// group or others may write it, a warning when they may read it) and
// parses it.
func LoadRing(path string, log *slog.Logger) (*Ring, error) {
	path, err := storage.ExpandHome(path)
	if err != nil {
		return nil, err
	}
	data, err := storage.ReadKeyFile(path, "a key ring file",
		"create it with one line \"<key id> = <base64 of 32 random bytes>\" (openssl rand -base64 32), mode 600", log)
	if err != nil {
		return nil, fmt.Errorf("[storage] encryption_key_file: %w", err)
	}
	return ParseRing(path, data)
}

// key returns the master key of id.
func (r *Ring) key(id string) ([]byte, bool) {
	k, ok := r.keys[id]
	return k, ok
}

// IDs returns the ids of the ring's keys, sorted.
func (r *Ring) IDs() []string {
	ids := make([]string, 0, len(r.keys))
	for id := range r.keys {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// String never shows keys.
func (r *Ring) String() string {
	return fmt.Sprintf("key ring %s (%d keys, current %q)", r.File, len(r.keys), r.Current)
}
