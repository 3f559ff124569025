package storage

import (
	"fmt"
	"strconv"
	"strings"
)

// ContentRangeSize returns the size of the whole object from the
// Content-Range header of an answer to a ranged read ("bytes 0-99/1234"),
// which backends report as ObjectInfo.Size.
func ContentRangeSize(contentRange string) (int64, error) {
	_, total, ok := strings.Cut(contentRange, "/")
	size, err := strconv.ParseInt(total, 10, 64)
	if !ok || err != nil || size < 0 {
		return 0, fmt.Errorf("the answer to a ranged read gives no object size (Content-Range %q)", contentRange)
	}
	return size, nil
}
