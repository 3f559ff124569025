package config

import "testing"

func TestParseSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"50MB/s", 50 << 20, true},
		{"50 MB / s", 50 << 20, true}, // spaces go first, as in Medusa
		{" 100 MB/s ", 100 << 20, true},
		{"20971520", 20971520, true},
		{"0", 0, true},
		{"7B", 7, true},
		{"1KB", 1024, true},
		{"2GB", 2 << 30, true},
		{"3TB", 3 << 40, true},
		{"1PB", 1 << 50, true},
		{"1.5MB", 1572864, true},
		{"0.1KB", 102, true}, // rounded down, as int(float) in Medusa
		{".5KB", 512, true},
		{"1.KB", 1024, true},
		{"50mb", 50 << 20, true}, // any case (Medusa wants upper case)
		{"1.5", -1, false},       // fractional bare number
		{"", -1, false},
		{"MB", -1, false},
		{"-1MB", -1, false},
		{"+1MB", -1, false},
		{"1e3MB", -1, false},
		{"1,5MB", -1, false},
		{"1.2.3MB", -1, false},
		{"5M", -1, false},
		{"5MiB", -1, false},
		{"5BB", -1, false}, // Medusa's rstrip would read 5
		{"8192PB", -1, false},
		{"8191PB", 8191 << 50, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSize(tt.in)
			if tt.ok {
				if err != nil || got != tt.want {
					t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Errorf("ParseSize(%q) = %d, want an error", tt.in, got)
			} else if want := `invalid size "` + tt.in + `": use a byte count or a number with B, KB, MB, GB, TB or PB`; err.Error() != want {
				t.Errorf("error = %q, want %q", err, want)
			}
		})
	}
}

func TestFormatSize(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   int64
		want string
	}{
		{0, "0B"}, {7, "7B"}, {1024, "1KB"}, {1536 << 10, "1536KB"}, {50 << 20, "50MB"},
		{20971520, "20MB"}, {3 << 40, "3TB"}, {1 << 50, "1PB"}, {1572864, "1536KB"}, {1572865, "1572865B"},
	} {
		if got := FormatSize(tt.in); got != tt.want {
			t.Errorf("FormatSize(%d) = %q, want %q", tt.in, got, tt.want)
		}
		if back, err := ParseSize(FormatSize(tt.in)); err != nil || back != tt.in {
			t.Errorf("ParseSize(FormatSize(%d)) = %d, %v", tt.in, back, err)
		}
	}
}
