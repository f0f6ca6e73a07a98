//go:build linux

package main

import (
	"fmt"
	"syscall"
)

// filesystemType returns the filesystem holding dir from statfs(2), named
// as the mount table names it where it can be read.
func filesystemType(dir string) (fsType, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return fsType{}, fmt.Errorf("statfs %s: %w", dir, err)
	}
	mountType := ""
	if m, err := mountOf(dir); err == nil {
		mountType = m.FSType
	}
	// The magics are 32-bit; Type is int32 on some architectures.
	return fsTypeOfMagic(int64(uint32(st.Type)), mountType), nil
}
