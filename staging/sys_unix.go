//go:build unix

package staging

import (
	"io/fs"
	"syscall"
)

// oNonblock is added to the flags of every open of the staging and
// buffer dirs: a FIFO swapped in for a file then does not block the open.
const oNonblock = syscall.O_NONBLOCK

// linkCount returns the number of hard links of a file, 0 if unknown.
func linkCount(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 0
}

// fileOwner returns the user ID owning a file.
func fileOwner(fi fs.FileInfo) (int, bool) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid), true
	}
	return 0, false
}
