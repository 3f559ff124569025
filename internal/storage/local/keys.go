package local

import (
	"errors"
	"path/filepath"
	"strings"
)

// errInvalidKey is wrapped by every key the backend refuses.
var errInvalidKey = errors.New("invalid key for local storage")

// checkKey refuses keys that are empty, absolute, contain NUL, have an
// empty, "." or ".." segment, or a segment that looks like a temporary
// file of Put.
func checkKey(key string) error {
	if key == "" || strings.HasPrefix(key, "/") || strings.ContainsRune(key, 0) {
		return errInvalidKey
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.HasPrefix(seg, tmpPrefix) {
			return errInvalidKey
		}
	}
	return nil
}

// path returns the file of key.
func (b *Backend) path(key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	return filepath.Join(b.root, filepath.FromSlash(key)), nil
}

// listStart splits prefix into the directory key where a walk starts
// ("" or ending in '/'). ok is false when no valid key can have prefix.
func listStart(prefix string) (dirKey string, ok bool) {
	i := strings.LastIndexByte(prefix, '/')
	if i < 0 {
		return "", !strings.ContainsRune(prefix, 0)
	}
	dirKey = prefix[:i+1]
	return dirKey, checkKey(dirKey[:i]) == nil && !strings.ContainsRune(prefix, 0)
}
