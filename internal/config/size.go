package config

import (
	"fmt"
	"math"
	"math/big"
	"strings"
	"unicode"
)

// sizeUnits are Medusa's size suffixes, 1024-based, longest match first.
var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"PB", 1 << 50},
	{"TB", 1 << 40},
	{"GB", 1 << 30},
	{"MB", 1 << 20},
	{"KB", 1 << 10},
	{"B", 1},
}

func parseSize(s string) (int64, bool) {
	clean := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	clean = strings.ReplaceAll(clean, "/s", "")
	num, mult := clean, int64(0)
	for _, u := range sizeUnits {
		cut := len(clean) - len(u.suffix)
		if cut >= 0 && strings.EqualFold(clean[cut:], u.suffix) {
			num, mult = clean[:cut], u.mult
			break
		}
	}
	if !isDecimal(num) {
		return 0, false
	}
	if mult == 0 { // bare number: whole bytes only
		if strings.Contains(num, ".") {
			return 0, false
		}
		mult = 1
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return 0, false
	}
	r.Mul(r, new(big.Rat).SetInt64(mult))
	q := new(big.Int).Quo(r.Num(), r.Denom()) // floor: both are >= 0
	if !q.IsInt64() {
		return 0, false
	}
	return q.Int64(), true
}

// isDecimal reports whether s is digits with at most one ".", and at least
// one digit: "12", "1.5", "1.", ".5".
func isDecimal(s string) bool {
	digits, dots := 0, 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1
}

// FormatSize renders n with the largest unit that divides it exactly
// ("50MB", "1536KB", "7B"); ParseSize and Medusa both read it back.
func FormatSize(n int64) string {
	if n <= 0 || n == math.MinInt64 {
		return fmt.Sprintf("%dB", n)
	}
	for _, u := range sizeUnits {
		if n%u.mult == 0 {
			return fmt.Sprintf("%d%s", n/u.mult, u.suffix)
		}
	}
	return fmt.Sprintf("%dB", n)
}
