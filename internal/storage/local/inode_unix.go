//go:build unix

package local

import (
	"os"
	"syscall"
)

// inode returns the file's inode number, 0 when the system does not say.
func inode(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}
