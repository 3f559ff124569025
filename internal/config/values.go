package config

import (
	"encoding/base64"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// value converts one raw ini string into a typed Config field (set returns
// the problem message, "" when the value is fine) and renders it back.
type value interface {
	set(raw string) string
	text() string
}

const (
	boolHelp = "not a boolean (use 1, yes, true, on, 0, no, false or off)"
	sizeHelp = "not a size (use a byte count such as 20971520, or a number with B, KB, MB, GB, TB or PB such as 50MB)"
)

// emptyPrefix marks a message about an empty value, which format cannot show.
func emptyPrefix(raw, msg string) string {
	if raw == "" {
		return "empty, " + msg
	}
	return msg
}

// parseBool accepts what configparser's getboolean accepts, in any case.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "1", "yes", "true", "on":
		return true, true
	case "0", "no", "false", "off":
		return false, true
	}
	return false, false
}

type strV struct{ p *string }

func (v strV) set(raw string) string { *v.p = raw; return "" }
func (v strV) text() string          { return *v.p }

// noSlashV is a string that must not contain "/" (bucket_name, prefix).
type noSlashV struct{ p *string }

func (v noSlashV) set(raw string) string {
	if strings.Contains(raw, "/") {
		return `must not contain "/"`
	}
	*v.p = raw
	return ""
}
func (v noSlashV) text() string { return *v.p }

// upperV stores the value upper-cased (storage_class).
type upperV struct{ p *string }

func (v upperV) set(raw string) string { *v.p = strings.ToUpper(raw); return "" }
func (v upperV) text() string          { return *v.p }

// noneV maps Medusa's literal 'None' to "" (kubernetes cassandra_url).
type noneV struct{ p *string }

func (v noneV) set(raw string) string {
	if raw == "None" {
		raw = ""
	}
	*v.p = raw
	return ""
}
func (v noneV) text() string {
	if *v.p == "" {
		return "None"
	}
	return *v.p
}

// boolV is a configparser boolean; optional ones read "" as false; numeric
// ones render as 1/0 (is_ccm, which Medusa reads with int()).
type boolV struct {
	p        *bool
	optional bool
	numeric  bool
}

func (v boolV) set(raw string) string {
	if raw == "" && v.optional {
		*v.p = false
		return ""
	}
	b, ok := parseBool(raw)
	if !ok {
		return emptyPrefix(raw, boolHelp)
	}
	*v.p = b
	return ""
}

func (v boolV) text() string {
	if v.numeric {
		if *v.p {
			return "1"
		}
		return "0"
	}
	if *v.p {
		return "True"
	}
	return "False"
}

// intV is a decimal integer in [min, max] (max 0 = unbounded); optional
// ones read "" as 0, meaning "not set".
type intV struct {
	p        *int
	min, max int
	optional bool
}

func (v intV) set(raw string) string {
	if raw == "" && v.optional {
		*v.p = 0
		return ""
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		return emptyPrefix(raw, "not an integer")
	}
	if n < v.min || (v.max != 0 && n > v.max) {
		if v.max != 0 {
			return fmt.Sprintf("must be between %d and %d", v.min, v.max)
		}
		return fmt.Sprintf("must be %d or more", v.min)
	}
	*v.p = n
	return ""
}

func (v intV) text() string {
	if v.optional && *v.p == 0 {
		return ""
	}
	return strconv.Itoa(*v.p)
}

// listenV is an optional host:port to listen on (host may be empty: every
// interface).
type listenV struct{ p *string }

func (v listenV) set(raw string) string {
	if raw != "" {
		if _, port, err := net.SplitHostPort(raw); err != nil || port == "" {
			return "must be host:port (e.g. :9153 or 127.0.0.1:9153)"
		}
	}
	*v.p = raw
	return ""
}

func (v listenV) text() string { return *v.p }

// sizeV is a human size of at least min (0 or 1) bytes. A zeroEmpty size reads ""
// as 0 (transfer_max_bandwidth: unlimited); perSec renders a "/s" suffix.
type sizeV struct {
	p         *int64
	min       int64
	zeroEmpty bool
	perSec    bool
}

func (v sizeV) set(raw string) string {
	if raw == "" && v.zeroEmpty {
		*v.p = 0
		return ""
	}
	n, ok := parseSize(raw)
	if !ok {
		return emptyPrefix(raw, sizeHelp)
	}
	if n < v.min {
		return "must be greater than zero"
	}
	*v.p = n
	return ""
}

func (v sizeV) text() string {
	if *v.p == 0 && v.zeroEmpty {
		return ""
	}
	if v.perSec {
		return FormatSize(*v.p) + "/s"
	}
	return FormatSize(*v.p)
}

// enumV is one of allowed, matched in any letter case and stored with the
// spelling of allowed.
type enumV struct {
	p       *string
	allowed []string
}

func (v enumV) set(raw string) string {
	for _, a := range v.allowed {
		if strings.EqualFold(raw, a) {
			*v.p = a
			return ""
		}
	}
	return emptyPrefix(raw, "must be one of "+strings.Join(v.allowed, ", "))
}
func (v enumV) text() string { return *v.p }

// sseKeyV is an SSE-C key: base64 of exactly 32 bytes. Secret: messages
// never include it.
type sseKeyV struct{ p *string }

func (v sseKeyV) set(raw string) string {
	if raw != "" {
		key, err := base64.StdEncoding.DecodeString(raw)
		if err != nil || len(key) != 32 {
			return "not the base64 encoding of a 256-bit (32-byte) key"
		}
	}
	*v.p = raw
	return ""
}
func (v sseKeyV) text() string { return *v.p }
