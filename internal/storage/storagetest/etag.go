package storagetest

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
)

// ReferenceETag computes the S3 ETag of data with crypto/md5 alone, as an
// oracle for tests of the hash code: the hex MD5 when part <= 0, else the
// multipart ETag "<hex MD5 of the parts' MD5s>-<parts>" with parts of part
// bytes (empty data is one empty part).
func ReferenceETag(data []byte, part int) string {
	if part <= 0 {
		s := md5.Sum(data)
		return hex.EncodeToString(s[:])
	}
	var sums []byte
	n := 0
	for off := 0; off < len(data) || n == 0; off += part {
		s := md5.Sum(data[off:min(off+part, len(data))])
		sums = append(sums, s[:]...)
		n++
	}
	all := md5.Sum(sums)
	return fmt.Sprintf("%s-%d", hex.EncodeToString(all[:]), n)
}
