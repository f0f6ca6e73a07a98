//go:build !linux

package main

import (
	"fmt"
	"runtime"
)

// filesystemType is not implemented outside Linux.
func filesystemType(string) (fsType, error) {
	return fsType{}, fmt.Errorf("the filesystem type is not checked on %s", runtime.GOOS)
}
