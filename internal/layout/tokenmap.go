package layout

import (
	"encoding/json"
	"fmt"
)

// Tokenmap is the content of meta/tokenmap.json (and of the index's
// tokenmap_<fqdn>.json): the hosts of the backed-up node's datacenter, in
// insertion order. Medusa inserts hosts sorted by their IP address string
// (not by name); builders pass Hosts already in that order.
type Tokenmap struct {
	Hosts []TokenmapHost
}

// TokenmapHost is one host of a Tokenmap.
type TokenmapHost struct {
	// Host is the host identity as Medusa resolves it (fqdn, IP or pod name);
	// it is what node backups are matched against.
	Host string
	// Tokens are decimal integer literals: Murmur3 tokens fit in int64,
	// RandomPartitioner tokens do not. Use Int64Token/BigToken to build them.
	Tokens []json.Number
	// ScalarToken records that the file held a bare integer instead of a
	// list (old single-token tokenmaps); Marshal then writes it back bare.
	ScalarToken bool
	// IsUp, Rack and DC are written as null when nil.
	IsUp *bool
	Rack *string
	DC   *string

	// Fields absent from the parsed document, omitted again by Marshal.
	absentIsUp, absentRack, absentDC bool
}

// TokenStrings returns the tokens as decimal strings, the form restore
// writes into cassandra.yaml's initial_token.
func (h TokenmapHost) TokenStrings() []string {
	out := make([]string, len(h.Tokens))
	for i, t := range h.Tokens {
		out[i] = t.String()
	}
	return out
}

// Host returns the entry of host, if present.
func (t *Tokenmap) Host(host string) (TokenmapHost, bool) {
	if t == nil {
		return TokenmapHost{}, false
	}
	for _, h := range t.Hosts {
		if h.Host == host {
			return h, true
		}
	}
	return TokenmapHost{}, false
}

// HostNames returns the host identities in order.
func (t *Tokenmap) HostNames() []string {
	if t == nil {
		return nil
	}
	out := make([]string, len(t.Hosts))
	for i, h := range t.Hosts {
		out[i] = h.Host
	}
	return out
}

// Len returns the number of hosts (0 for a nil tokenmap).
func (t *Tokenmap) Len() int {
	if t == nil {
		return 0
	}
	return len(t.Hosts)
}

// MarshalTokenmap renders t exactly like Medusa's json.dumps(tokenmap):
// {"<host>": {"tokens": [...], "is_up": true, "rack": "r1", "dc": "dc1"}}
// in host order, non-ASCII escaped. It fails on duplicate hosts and on
// tokens that are not integer literals.
func MarshalTokenmap(t Tokenmap) ([]byte, error) {
	seen := make(map[string]bool, len(t.Hosts))
	b := append(make([]byte, 0, 128*len(t.Hosts)+2), '{')
	for i, h := range t.Hosts {
		if seen[h.Host] {
			return nil, fmt.Errorf("marshal tokenmap: duplicate host %q", h.Host)
		}
		seen[h.Host] = true
		b = appendPyKey(b, h.Host, i == 0, true)
		b = appendPyKey(append(b, '{'), "tokens", true, true)
		if h.ScalarToken && len(h.Tokens) != 1 {
			return nil, fmt.Errorf("marshal tokenmap: host %q: a scalar token needs exactly one token", h.Host)
		}
		if !h.ScalarToken {
			b = append(b, '[')
		}
		for j, tok := range h.Tokens {
			if !isJSONInteger(tok.String()) {
				return nil, fmt.Errorf("marshal tokenmap: host %q: token %q is not an integer", h.Host, tok)
			}
			if j > 0 {
				b = append(b, ", "...)
			}
			b = append(b, tok...)
		}
		if !h.ScalarToken {
			b = append(b, ']')
		}
		if !h.absentIsUp {
			b = appendPyBool(appendPyKey(b, "is_up", false, true), h.IsUp)
		}
		if !h.absentRack {
			b = appendPyOptString(appendPyKey(b, "rack", false, true), h.Rack, true)
		}
		if !h.absentDC {
			b = appendPyOptString(appendPyKey(b, "dc", false, true), h.DC, true)
		}
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

// UnmarshalTokenmap parses a tokenmap.json, keeping the order of hosts.
// It accepts what any Medusa version wrote: "tokens" as a list or a bare
// integer, and "is_up", "rack", "dc" missing or null. Unknown fields are
// ignored. A host listed twice keeps its first position and its last value,
// as Python's json.loads does.
func UnmarshalTokenmap(data []byte) (Tokenmap, error) {
	dec := newDecoder(data)
	if err := expectDelim(dec, '{'); err != nil {
		return Tokenmap{}, fmt.Errorf("parse tokenmap: %w", err)
	}
	var t Tokenmap
	pos := map[string]int{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return Tokenmap{}, fmt.Errorf("parse tokenmap: %w", err)
		}
		host, _ := tok.(string)
		h, err := decodeTokenmapHost(dec)
		if err != nil {
			return Tokenmap{}, fmt.Errorf("parse tokenmap: host %q: %w", host, err)
		}
		h.Host = host
		if i, dup := pos[host]; dup {
			t.Hosts[i] = h
			continue
		}
		pos[host] = len(t.Hosts)
		t.Hosts = append(t.Hosts, h)
	}
	if err := expectDelim(dec, '}'); err != nil {
		return Tokenmap{}, fmt.Errorf("parse tokenmap: %w", err)
	}
	if err := expectEOF(dec); err != nil {
		return Tokenmap{}, fmt.Errorf("parse tokenmap: %w", err)
	}
	return t, nil
}

type tokenmapHostJSON struct {
	Tokens json.RawMessage `json:"tokens"`
	IsUp   json.RawMessage `json:"is_up"`
	Rack   json.RawMessage `json:"rack"`
	DC     json.RawMessage `json:"dc"`
}

func decodeTokenmapHost(dec *json.Decoder) (TokenmapHost, error) {
	var raw tokenmapHostJSON
	if err := dec.Decode(&raw); err != nil {
		return TokenmapHost{}, err
	}
	h := TokenmapHost{absentIsUp: raw.IsUp == nil, absentRack: raw.Rack == nil, absentDC: raw.DC == nil}
	if err := decodeTokens(raw.Tokens, &h); err != nil {
		return TokenmapHost{}, err
	}
	for _, f := range []struct {
		raw json.RawMessage
		dst any
	}{{raw.IsUp, &h.IsUp}, {raw.Rack, &h.Rack}, {raw.DC, &h.DC}} {
		if f.raw != nil {
			if err := json.Unmarshal(f.raw, f.dst); err != nil {
				return TokenmapHost{}, err
			}
		}
	}
	return h, nil
}

func decodeTokens(raw json.RawMessage, h *TokenmapHost) error {
	if raw == nil || string(raw) == "null" {
		return nil
	}
	dec := newDecoder(raw)
	if raw[0] != '[' {
		var n json.Number
		if err := dec.Decode(&n); err != nil {
			return fmt.Errorf("tokens: %w", err)
		}
		if !isJSONInteger(n.String()) {
			return fmt.Errorf("token %s is not an integer", n)
		}
		h.Tokens, h.ScalarToken = []json.Number{n}, true
		return nil
	}
	var list []json.Number
	if err := dec.Decode(&list); err != nil {
		return fmt.Errorf("tokens: %w", err)
	}
	for _, n := range list {
		if !isJSONInteger(n.String()) {
			return fmt.Errorf("token %s is not an integer", n)
		}
	}
	h.Tokens = list
	return nil
}
