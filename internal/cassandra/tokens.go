package cassandra

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// SetTokens rewrites cassandra.yaml for a node that must own exactly
// tokens (a remote restore): initial_token becomes the
// comma-separated tokens, num_tokens their count and auto_bootstrap false.
// Like Medusa, a top-level line starting with one of those keys is
// replaced and a missing key is appended; everything else, comments
// included, is kept byte for byte. Commented-out keys ("# num_tokens")
// are left alone.
func SetTokens(yaml []byte, tokens []string) ([]byte, error) {
	if len(tokens) == 0 {
		return nil, fmt.Errorf("set tokens in cassandra.yaml: no tokens")
	}
	for _, t := range tokens {
		if !isIntegerLiteral(t) {
			return nil, fmt.Errorf("set tokens in cassandra.yaml: %q is not a token", t)
		}
	}
	values := []struct{ key, value string }{
		{"initial_token", strings.Join(tokens, ",")},
		{"num_tokens", strconv.Itoa(len(tokens))},
		{"auto_bootstrap", "false"},
	}
	lines := bytes.SplitAfter(yaml, []byte("\n"))
	if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	seen := make([]bool, len(values))
	for i, line := range lines {
		for j, v := range values {
			if yamlKeyLine(line, v.key) {
				lines[i] = []byte(v.key + ": " + v.value + "\n")
				seen[j] = true
			}
		}
	}
	var out bytes.Buffer
	for _, l := range lines {
		out.Write(l)
	}
	if out.Len() > 0 && !bytes.HasSuffix(out.Bytes(), []byte("\n")) {
		out.WriteByte('\n')
	}
	for j, v := range values {
		if !seen[j] {
			out.WriteString(v.key + ": " + v.value + "\n")
		}
	}
	return out.Bytes(), nil
}

// yamlKeyLine reports whether line sets the top-level key ("key:" at the
// start of the line).
func yamlKeyLine(line []byte, key string) bool {
	rest, ok := bytes.CutPrefix(line, []byte(key))
	if !ok {
		return false
	}
	rest = bytes.TrimLeft(rest, " \t")
	return len(rest) > 0 && rest[0] == ':'
}
