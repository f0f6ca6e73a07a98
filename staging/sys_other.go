//go:build !unix

package staging

import "io/fs"

// oNonblock is 0 where O_NONBLOCK does not exist.
const oNonblock = 0

// linkCount returns the number of hard links of a file, 0 if unknown.
func linkCount(fs.FileInfo) uint64 { return 0 }

// fileOwner is unknown where there are no user IDs.
func fileOwner(fs.FileInfo) (int, bool) { return 0, false }
