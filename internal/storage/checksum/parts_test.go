package checksum

import (
	"slices"
	"testing"
)

func TestPartLayout(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		size, threshold, chunk int64
		multipart              bool
		partSize               int64
		parts                  int
	}{
		{0, 20 * mib, 50 * mib, false, 0, 1},
		{20*mib - 1, 20 * mib, 50 * mib, false, 20*mib - 1, 1},
		{20 * mib, 20 * mib, 50 * mib, true, 50 * mib, 1},
		{100*mib + 1, 20 * mib, 50 * mib, true, 50 * mib, 3},
		{100 * mib, 20 * mib, 0, true, 8 * mib, 13},
		{30 * mib, 20 * mib, 1 * mib, true, 5 * mib, 6},
		{20 << 30, 20 * mib, 10 << 30, true, 5 << 30, 4},
		{1 << 40, 20 * mib, 50 * mib, true, 200 * mib, 5243}, // boto3 doubles past 10,000 parts
		{500*1000*mib + 1, 20 * mib, 50 * mib, true, 100 * mib, 5001},
		{500 * 1000 * mib, 20 * mib, 50 * mib, true, 50 * mib, 10000},
		{6 << 30, 100 << 30, 50 * mib, true, 50 * mib, 123}, // > 5 GiB cannot be one PutObject
		{1000, 0, 50 * mib, false, 1000, 1},
	} {
		m, ps, n := PartLayout(tc.size, tc.threshold, tc.chunk)
		if m != tc.multipart || (m && (ps != tc.partSize || n != tc.parts)) {
			t.Errorf("PartLayout(%d, %d, %d) = %v, %d, %d; want %v, %d, %d",
				tc.size, tc.threshold, tc.chunk, m, ps, n, tc.multipart, tc.partSize, tc.parts)
		}
		if m && n > MaxParts {
			t.Errorf("PartLayout(%d, ...) needs %d parts", tc.size, n)
		}
	}
}

func TestPartSizes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		size      int64
		parts     int
		preferred []int64
		want      []int64
	}{
		{"12 MiB in 3 parts: 5 MiB", 12 * mib, 3, nil, []int64{5 * mib}},
		{"12 MiB in 2 parts: 8 MiB", 12 * mib, 2, nil, []int64{8 * mib}},
		{"one part: every size at least as large", 6 * mib, 1, nil,
			[]int64{50 * mib, 8 * mib, 16 * mib, 32 * mib, 64 * mib, 100 * mib, 128 * mib, 256 * mib, 512 * mib, 1024 * mib, 2048 * mib, 4096 * mib}},
		{"preferred first, no duplicate", 100 * mib, 4, []int64{32 * mib, 50 * mib}, []int64{32 * mib}},
		{"preferred of an unusual size", 12 * mib, 2, []int64{7 * mib}, []int64{7 * mib, 8 * mib}},
		{"preferred grown past 10,000 parts", 1 << 40, 5243, []int64{50 * mib}, []int64{200 * mib}},
		{"boto3's 8 MiB doubled past 10,000 parts", 200 << 30, 6400, nil, []int64{32 * mib}},
		{"no usual size", 12 * mib, 5, nil, nil},
	} {
		if got := PartSizes(tc.size, tc.parts, tc.preferred...); !slices.Equal(got, tc.want) {
			t.Errorf("%s: PartSizes = %v, want %v", tc.name, mibs(got), mibs(tc.want))
		}
	}
}

func mibs(s []int64) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = float64(v) / mib
	}
	return out
}
