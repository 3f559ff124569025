package storage

import "testing"

func TestContentRangeSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"bytes 0-99/1234", 1234, true},
		{"bytes 1233-1233/1234", 1234, true},
		{"bytes */0", 0, true},
		{"bytes 0-99/*", 0, false},
		{"bytes 0-99", 0, false},
		{"", 0, false},
		{"bytes 0-99/-5", 0, false},
	}
	for _, tc := range tests {
		got, err := ContentRangeSize(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ContentRangeSize(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
