package config

import (
	"fmt"
)

// Only the tests use this; the product does not reach it.

// ParseSize converts a human size to bytes the way Medusa does
// (abstract_storage.py _human_size_to_bytes, plus raw byte counts):
// white space and "/s" are removed; a bare integer is a byte count; a
// number followed by B, KB, MB, GB, TB or PB (1024-based; any letter case)
// is multiplied and rounded down, so "1.5MB" is 1572864. Fractional bare
// numbers ("1.5"), signs, exponents and other units are rejected.
func ParseSize(s string) (int64, error) {
	n, ok := parseSize(s)
	if !ok {
		return 0, fmt.Errorf("invalid size %q: use a byte count or a number with B, KB, MB, GB, TB or PB", s)
	}
	return n, nil
}
