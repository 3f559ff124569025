package checksum

import (
	"strconv"
	"strings"
)

// S3 limits that shape uploads.
const (
	// MinPartSize and MaxPartSize bound the size of one part.
	MinPartSize = 5 << 20
	MaxPartSize = 5 << 30
	// MaxSinglePutSize is the largest object one PutObject stores.
	MaxSinglePutSize = 5 << 30
	// DefaultChunkSize is the part size when multipart_chunksize is unset
	// (boto3's and Python Medusa's default).
	DefaultChunkSize = 8 << 20
)

// PartLayout says how an object of size bytes is uploaded: in one
// PutObject (multipart false) or in parts of partSize bytes, parts of
// them. Objects of at least threshold bytes (threshold > 0) and objects too
// large for one PutObject use multipart. The part size is chunk (8 MiB when
// chunk <= 0) clamped to [5 MiB, 5 GiB] and then doubled until at most
// 10,000 parts are needed, as boto3's ChunksizeAdjuster does.
func PartLayout(size, threshold, chunk int64) (multipart bool, partSize int64, parts int) {
	multipart = (threshold > 0 && size >= threshold) || size > MaxSinglePutSize
	if !multipart {
		return false, size, 1
	}
	partSize = chunk
	if partSize <= 0 {
		partSize = DefaultChunkSize
	}
	partSize = min(max(partSize, MinPartSize), MaxPartSize)
	for ceilDiv(size, partSize) > MaxParts {
		partSize *= 2
	}
	return true, partSize, int(max(ceilDiv(size, partSize), 1))
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// usualPartSizes are the part sizes, in MiB, tried to recompute a multipart
// ETag whose part size is unknown, most likely first: Python Medusa's
// 50 MiB, boto3's 8 MiB, S3's 5 MiB minimum, then powers of two and round
// numbers. Doublings of boto3's 8 MiB past 10,000 parts are powers of two.
var usualPartSizes = []int64{50, 8, 5, 16, 32, 64, 100, 128, 256, 512, 1024, 2048, 4096}

// UsualPartSizes lists the usual part sizes, for messages: "50, 8, 5, ...
// MiB".
func UsualPartSizes() string {
	var b strings.Builder
	for i, m := range usualPartSizes {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.FormatInt(m, 10))
	}
	return b.String() + " MiB"
}

// PartSizes returns the part sizes that may have made a multipart ETag of
// parts parts for an object of size bytes: preferred ones first (a
// backend's multipart_chunksize, say; each kept only when it gives that
// many parts after boto3's growth), then the usual sizes that split size
// into exactly parts parts. No size appears twice.
func PartSizes(size int64, parts int, preferred ...int64) []int64 {
	var out []int64
	add := func(p int64) {
		if p <= 0 || max(ceilDiv(size, p), 1) != int64(parts) {
			return
		}
		for _, q := range out {
			if q == p {
				return
			}
		}
		out = append(out, p)
	}
	for _, p := range preferred {
		if _, grown, _ := PartLayout(size, 1, p); grown > 0 {
			add(grown)
		}
	}
	for _, m := range usualPartSizes {
		add(m << 20)
	}
	return out
}
