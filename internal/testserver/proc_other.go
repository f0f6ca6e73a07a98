//go:build !linux

package testserver

import "syscall"

// sysProcAttr returns nil: parent-death signals are Linux only. Elsewhere a
// server that its test binary could not stop (a crash, a timeout) keeps
// running until it is killed by hand.
func sysProcAttr() *syscall.SysProcAttr { return nil }

// processGone reports false: without a cheap, reliable check, data left by
// crashed test binaries is not swept on this platform.
func processGone(pid int) bool { return false }
