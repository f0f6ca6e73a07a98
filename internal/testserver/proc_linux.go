package testserver

import (
	"errors"
	"syscall"
)

// sysProcAttr makes the kernel kill the server when the thread that started
// it exits (see startProcess), so a server never outlives its test binary.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// processGone reports whether no process with the given id exists.
func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
