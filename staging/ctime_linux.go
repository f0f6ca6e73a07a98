package staging

import (
	"io/fs"
	"syscall"
	"time"
)

// changeTime returns a file's ctime (the last change of its content or
// metadata), zero if unknown.
func changeTime(fi fs.FileInfo) time.Time {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return time.Unix(int64(st.Ctim.Sec), int64(st.Ctim.Nsec))
	}
	return time.Time{}
}
