//go:build unix

package main

import (
	"fmt"
	"os"
	"syscall"
)

// flockTwice takes an exclusive flock(2) on path, without waiting, and
// while it holds it tries a second one through another open file: first
// is the first lock's error, second the second's (nil when it was
// granted, which must not happen). err is a failure to open the file.
func flockTwice(path string) (first, second, err error) {
	f1, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("create the lock file: %w", err)
	}
	defer f1.Close()
	if err := syscall.Flock(int(f1.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return err, nil, nil
	}
	defer syscall.Flock(int(f1.Fd()), syscall.LOCK_UN)
	f2, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("open the lock file again: %w", err)
	}
	defer f2.Close()
	second = syscall.Flock(int(f2.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if second == nil {
		_ = syscall.Flock(int(f2.Fd()), syscall.LOCK_UN)
	}
	return nil, second, nil
}
